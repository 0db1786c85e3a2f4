// Turn what the backend (or the simulator) sends into the app's shapes.
// Unknown fields are ignored; a {"success":true,"data":{...}} wrapper is tolerated.

export const HOUSEHOLDS = ['A', 'B', 'C', 'D'];

export function unwrap(body) {
  if (body && typeof body === 'object' && !Array.isArray(body) && body.data && typeof body.data === 'object') {
    return body.data;
  }
  return body;
}

function num(v) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

// {soc, solar_w, lux, timestamp} → reading with numbers and `t` (epoch seconds), or null.
export function normalizeReading(body) {
  const r = unwrap(body);
  if (!r || typeof r !== 'object') return null;
  const soc = num(r.soc);
  if (soc === null) return null;
  const ms = typeof r.timestamp === 'string' || typeof r.timestamp === 'number' ? Date.parse(r.timestamp) : NaN;
  const t = Number.isFinite(ms) ? ms / 1000 : Date.now() / 1000;
  return {
    soc,
    solar_w: num(r.solar_w),
    lux: num(r.lux),
    timestamp: Number.isFinite(ms) ? r.timestamp : new Date(t * 1000).toISOString(),
    t,
  };
}

// {A,B,C,D} booleans (maybe with extra fields) → only the households present as booleans.
export function normalizeRelays(body) {
  const r = unwrap(body);
  const out = {};
  if (!r || typeof r !== 'object') return out;
  for (const h of HOUSEHOLDS) {
    const v = r[h];
    if (typeof v === 'boolean') out[h] = v;
    else if (v === 0 || v === 1) out[h] = v === 1;
  }
  return out;
}
