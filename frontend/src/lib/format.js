// Number and time formatting for display ("—" for missing values).
export function fmt(v, locale, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  return Number(v).toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

// Plain digits without grouping: what the stable test hooks expose (e.g. "8500").
export function plain(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const f = 10 ** digits;
  return String(Math.round(Number(v) * f) / f);
}

export function fmtTime(iso, locale) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms).toLocaleString(locale, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}
