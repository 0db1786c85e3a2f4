import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { fetchJson } from '../../lib/api.js';
import { apiErrorText, auditPath, defaultAuditRange, localInputToIso } from '../../lib/auth.js';
import { fmtTime } from '../../lib/format.js';

// Admin: the audit log for a from/to range (local time; default the last 24 h up to now,
// renewed on every "Show" until the user edits a field) from GET /api/audit, newest first.
export default function AuditLog() {
  const { t, locale } = useI18n();
  const [range, setRange] = useState(() => defaultAuditRange());
  const [state, setState] = useState({ status: 'loading', entries: [], error: '' });
  const seq = useRef(0);

  const load = useCallback(async (r) => {
    const from = localInputToIso(r.from);
    const to = localInputToIso(r.to);
    if (!from || !to) {
      setState((s) => ({ ...s, status: 'error', error: t('admin.badRange') }));
      return;
    }
    const mine = ++seq.current;
    setState((s) => ({ ...s, status: 'loading', error: '' }));
    const res = await fetchJson(auditPath(from, to), { timeoutMs: 15000 });
    if (mine !== seq.current) return;
    if (res.ok) {
      const entries = Array.isArray(res.data?.entries) ? res.data.entries.slice().reverse() : [];
      setState({ status: 'ok', entries, error: '' });
    } else {
      setState((s) => ({ ...s, status: 'error', error: apiErrorText(res, t) }));
    }
  }, [t]);

  // First load with the default range (the language does not reload it).
  const first = useRef(true);
  useEffect(() => {
    if (!first.current) return;
    first.current = false;
    load(range);
  }, [load, range]);

  // Fields left at their default follow the clock: "Show" then means "the last 24 h, now".
  const [touched, setTouched] = useState({ from: false, to: false });
  const edit = (k) => (e) => {
    setTouched({ ...touched, [k]: true });
    setRange({ ...range, [k]: e.target.value });
  };

  function submit(e) {
    e.preventDefault();
    const now = defaultAuditRange();
    const next = { from: touched.from ? range.from : now.from, to: touched.to ? range.to : now.to };
    setRange(next);
    load(next);
  }

  return (
    <section className="card admin-section" data-testid="audit-log" data-status={state.status} aria-labelledby="audit-title">
      <div className="section-head">
        <h2 id="audit-title">{t('admin.audit')}</h2>
      </div>
      <form className="admin-form" onSubmit={submit} noValidate>
        <label className="field">
          <span>{t('admin.from')}</span>
          <input type="datetime-local" data-testid="audit-from" value={range.from} onChange={edit('from')} />
        </label>
        <label className="field">
          <span>{t('admin.to')}</span>
          <input type="datetime-local" data-testid="audit-to" value={range.to} onChange={edit('to')} />
        </label>
        <button type="submit" className="btn primary" data-testid="audit-load" disabled={state.status === 'loading'}>{t('admin.show')}</button>
      </form>
      <p className="error-line" data-testid="audit-error" role="status">{state.error}</p>
      <p className="muted small" data-testid="audit-count">
        {state.status === 'loading' ? t('admin.loading') : t('admin.auditCount', { n: state.entries.length })}
      </p>
      <div className="table-wrap">
        <table className="data-table audit-table">
          <thead>
            <tr>
              <th>{t('admin.time')}</th><th>{t('admin.actor')}</th><th>{t('admin.address')}</th><th>{t('admin.action')}</th>
              <th>{t('admin.target')}</th><th>{t('admin.outcome')}</th><th>{t('admin.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {state.entries.map((e, i) => (
              <tr key={e.id ?? i} data-testid="audit-row" data-action={e.action} data-outcome={e.outcome} data-actor={e.actor} data-target={e.target}>
                <td className="num nowrap">{fmtTime(e.at, locale)}</td>
                <td className="mono">{e.actor}</td>
                <td className="mono">{e.address || '—'}</td>
                <td className="mono">{e.action}</td>
                <td className="mono">{e.target || '—'}</td>
                <td><span className={`outcome outcome-${e.outcome}`}>{e.outcome}</span></td>
                <td className="small">{e.detail}</td>
              </tr>
            ))}
            {state.status === 'ok' && !state.entries.length && (
              <tr><td colSpan={7} className="muted">{t('admin.empty')}</td></tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
