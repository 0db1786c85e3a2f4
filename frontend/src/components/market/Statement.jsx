import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { apiErrorText } from '../../lib/auth.js';
import { apiUrl } from '../../lib/config.js';
import { defaultStatementDays, fmtMoney, STATEMENT_FIELDS, statementPath, statementRange, zoneLabel } from '../../lib/market.js';
import { statementCsv } from '../../lib/marketSim.js';
import { fmt } from '../../lib/format.js';
import { DownloadIcon } from '../Icons.jsx';

const MONEY = new Set(['spent', 'earned', 'adjusted_money']);

// The bill of the shown account: days from–to (inclusive), one row per day plus totals, and
// the same range as CSV (the API's format=csv; in virtual mode a file made here). Days start
// at the backend's UTC_OFFSET_HOURS: its answer says which (utc_offset_hours), and a change
// asks again with days of that zone (UTC until then, and in virtual mode).
export default function Statement({ household, currency, statement, mode, refreshKey }) {
  const { t, locale } = useI18n();
  const [offset, setOffset] = useState(0);
  const [days, setDays] = useState(() => ({ ...defaultStatementDays(), edited: false }));
  const [load, setLoad] = useState({ status: 'idle', data: null, error: '' });
  const range = statementRange(days.from, days.to, offset);

  const show = useCallback(async () => {
    const r = statementRange(days.from, days.to, offset);
    if (!r) { setLoad({ status: 'error', data: null, error: t('market.badRange') }); return; }
    if (!household || mode === 'connecting') return;
    setLoad((l) => ({ ...l, status: 'loading' }));
    const res = await statement(household, r);
    const answered = res.ok ? Number(res.data?.utc_offset_hours ?? 0) : offset;
    if (Number.isInteger(answered) && answered !== offset) {
      // Days start elsewhere: ask again for the same days of that zone (today's if untouched).
      setOffset(answered);
      if (!days.edited) setDays({ ...defaultStatementDays(Date.now(), answered), edited: false });
      return;
    }
    setLoad(res.ok ? { status: 'ok', data: res.data, error: '' } : { status: 'error', data: null, error: apiErrorText(res, t) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [household, statement, days, mode, offset]);

  // A new account (or a new connection, a new trade of the account, another zone) shows its
  // statement for the chosen days.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => { show(); }, [household, statement, refreshKey, offset]);

  const csvHref = !range || !household
    ? undefined
    : mode === 'virtual'
      ? (load.data ? `data:text/csv;charset=utf-8,${encodeURIComponent(statementCsv(load.data))}` : undefined)
      : apiUrl(statementPath(household, range, 'csv'));
  const cell = (k, v) => (MONEY.has(k) ? fmtMoney(v, currency, locale) : fmt(v, locale));

  return (
    <section className="card statement" data-testid="statement" data-status={load.status} data-household={household ?? ''} data-utc-offset={offset}>
      <h3 className="card-label">{t('market.statement')}</h3>
      <form className="statement-bar" onSubmit={(e) => { e.preventDefault(); show(); }}>
        <label className="field">
          {t('market.from', { tz: zoneLabel(offset) })}
          <input type="date" data-testid="statement-from" value={days.from} onChange={(e) => setDays((d) => ({ ...d, from: e.target.value, edited: true }))} />
        </label>
        <label className="field">
          {t('market.to', { tz: zoneLabel(offset) })}
          <input type="date" data-testid="statement-to" value={days.to} onChange={(e) => setDays((d) => ({ ...d, to: e.target.value, edited: true }))} />
        </label>
        <button type="submit" className="btn small" data-testid="statement-load">{t('market.show')}</button>
        <a
          className={`btn small${csvHref ? '' : ' disabled'}`}
          data-testid="statement-csv"
          href={csvHref}
          download={`solgrid-statement-${household ?? ''}-${days.from}-${days.to}.csv`}
          aria-disabled={csvHref ? undefined : 'true'}
        >
          <DownloadIcon /> {t('market.csv')}
        </a>
      </form>
      <p className="error-line" role="alert">{load.status === 'error' ? load.error : ''}</p>
      <div className="table-wrap">
        <table className="data-table statement-table">
          <thead>
            <tr>
              <th>{t('market.day')}</th>
              {STATEMENT_FIELDS.map((k) => <th key={k} className="r">{t(`market.col.${k}`)}</th>)}
            </tr>
          </thead>
          <tbody>
            {(load.data?.days ?? []).map((d) => (
              <tr key={d.day} data-testid={`statement-day-${d.day}`}>
                <td className="nowrap num">{d.day}</td>
                {STATEMENT_FIELDS.map((k) => <td key={k} className="num r" data-field={k} data-value={d[k] ?? 0}>{cell(k, d[k] ?? 0)}</td>)}
              </tr>
            ))}
          </tbody>
          {load.data?.totals && (
            <tfoot>
              <tr data-testid="statement-totals">
                <th>{t('market.total')}</th>
                {STATEMENT_FIELDS.map((k) => <td key={k} className="num r" data-field={k} data-value={load.data.totals[k] ?? 0}>{cell(k, load.data.totals[k] ?? 0)}</td>)}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </section>
  );
}
