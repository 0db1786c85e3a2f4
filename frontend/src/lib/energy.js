export const DEFAULT_CAPACITY_WH = 10000;

// Energy held by the community battery: soc / 100 × capacity, in whole Wh.
// Returns null when there is no reading yet.
export function energyBalanceWh(soc, capacityWh = DEFAULT_CAPACITY_WH) {
  if (soc === null || soc === undefined || soc === '') return null;
  const s = Number(soc);
  if (!Number.isFinite(s)) return null;
  const cap = Number.isFinite(capacityWh) && capacityWh > 0 ? capacityWh : DEFAULT_CAPACITY_WH;
  return Math.round((Math.min(100, Math.max(0, s)) / 100) * cap);
}

// `GET /api/config` → {"battery_capacity_wh": 10000, ...} (a {data:{...}} wrapper is tolerated).
export function capacityFromConfig(body) {
  const cfg = body && typeof body === 'object' && body.data && typeof body.data === 'object' ? body.data : body;
  const cap = Number(cfg?.battery_capacity_wh);
  return Number.isFinite(cap) && cap > 0 ? cap : DEFAULT_CAPACITY_WH;
}
