import { unwrap } from './normalize.js';

// History page logic: which query a range preset makes, how the backend's rows map to
// chart points, and how live readings extend them. Pure.

export const PRESETS = [
  { id: '1h', ms: 3600e3, resolution: 'raw' },
  { id: '24h', ms: 24 * 3600e3, resolution: 'raw' },
  { id: '7d', ms: 7 * 24 * 3600e3, resolution: 'hour' },
  { id: '30d', ms: 30 * 24 * 3600e3, resolution: 'day' },
];

export function presetById(id) {
  return PRESETS.find((p) => p.id === id) || PRESETS[0];
}

export function historyQuery(preset, now = new Date()) {
  return {
    from: new Date(now.getTime() - preset.ms).toISOString(),
    to: now.toISOString(),
    resolution: preset.resolution,
  };
}

export function historyPath(query, format) {
  const p = new URLSearchParams({ from: query.from, to: query.to, resolution: query.resolution });
  if (format) p.set('format', format);
  return `/api/data/history?${p.toString()}`;
}

const num = (v) => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

// Response {"success":true,"data":{"resolution","rows":[...]}} (or {rows}, or a bare array)
// → points sorted by time: { t (epoch s), soc, solar_w, lux } and, for hour/day roll-ups,
// also soc_min, soc_max, solar_w_max, lux_max, solar_wh (the *_avg fields become the
// main values; timestamp is the bucket start).
export function mapHistoryRows(body, requestedResolution = 'raw') {
  const d = unwrap(body);
  const rows = Array.isArray(d) ? d : Array.isArray(d?.rows) ? d.rows : [];
  const resolution = (d && !Array.isArray(d) && d.resolution) || requestedResolution;
  const aggregated = resolution === 'hour' || resolution === 'day';
  const points = [];
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const ms = Date.parse(row.timestamp);
    if (!Number.isFinite(ms)) continue;
    const p = aggregated
      ? {
          t: ms / 1000,
          soc: num(row.soc_avg ?? row.soc),
          solar_w: num(row.solar_w_avg ?? row.solar_w),
          lux: num(row.lux_avg ?? row.lux),
          soc_min: num(row.soc_min),
          soc_max: num(row.soc_max),
          solar_w_max: num(row.solar_w_max),
          lux_max: num(row.lux_max),
          solar_wh: num(row.solar_wh),
        }
      : { t: ms / 1000, soc: num(row.soc), solar_w: num(row.solar_w), lux: num(row.lux) };
    points.push(p);
  }
  points.sort((a, b) => a.t - b.t);
  return { resolution, aggregated, points };
}

// Stored points followed by the live readings newer than the last stored one and not
// older than fromSec.
export function mergeLive(points, live, fromSec = -Infinity) {
  const lastT = points.length ? points[points.length - 1].t : -Infinity;
  const extra = live.filter((p) => p.t > lastT && p.t >= fromSec);
  return extra.length ? points.concat(extra) : points;
}

// Columns for uPlot: [xs, ...one array per key] (missing values as null = gaps).
export function toColumns(points, keys) {
  const cols = [points.map((p) => p.t)];
  for (const k of keys) cols.push(points.map((p) => (p[k] === undefined ? null : p[k])));
  return cols;
}

// Total solar energy of roll-up rows (Wh), null when the rows carry none.
export function totalSolarWh(points) {
  let sum = 0;
  let any = false;
  for (const p of points) {
    if (typeof p.solar_wh === 'number') { sum += p.solar_wh; any = true; }
  }
  return any ? sum : null;
}
