import { useEffect, useMemo, useState } from 'react';
import { DownloadIcon } from '../components/Icons.jsx';
import TimeChart from '../components/TimeChart.jsx';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { fetchJson } from '../lib/api.js';
import { apiUrl } from '../lib/config.js';
import { fmt } from '../lib/format.js';
import { useGrid } from '../state/GridProvider.jsx';
import { historyPath, historyQuery, mapHistoryRows, mergeLive, PRESETS, presetById, toColumns, totalSolarWh } from '../state/history.js';

const COLORS = { soc: '#16a34a', solar: '#e08e0b', lux: '#0e7490' };
const faint = (hex) => `${hex}66`;

// History: SoC %, solar W and lux over a range preset, from GET /api/data/history,
// extended live by new_sun_data. Without the endpoint (or in virtual mode) it plots the
// live stream only and says so.
export default function History() {
  const { t, locale } = useI18n();
  const { mode, epoch, live } = useGrid();
  const [presetId, setPresetId] = useState('1h');
  const preset = presetById(presetId);
  const [load, setLoad] = useState({ status: 'loading', points: [], aggregated: false, query: historyQuery(preset) });

  useEffect(() => {
    const query = historyQuery(preset);
    if (mode !== 'real') {
      setLoad({ status: mode === 'virtual' ? 'virtual' : 'loading', points: [], aggregated: false, query });
      return undefined;
    }
    const ctrl = new AbortController();
    setLoad((l) => ({ ...l, status: 'loading', query }));
    fetchJson(historyPath(query), { timeoutMs: 15000, signal: ctrl.signal }).then((res) => {
      if (ctrl.signal.aborted) return;
      if (res.ok) {
        const mapped = mapHistoryRows(res.data, query.resolution);
        setLoad({ status: 'ok', points: mapped.points, aggregated: mapped.aggregated, query });
      } else {
        const reason = res.kind === 'http' ? `HTTP ${res.status}` : res.kind;
        setLoad({ status: res.status === 404 ? 'notfound' : 'failed', reason, points: [], aggregated: false, query });
      }
    });
    return () => ctrl.abort();
  }, [mode, epoch, preset]);

  const rangeSec = preset.ms / 1000;
  // Loading keeps showing what was there (no flash); these three plot the live stream only.
  const liveOnly = ['notfound', 'failed', 'virtual'].includes(load.status);
  const points = useMemo(() => {
    if (load.aggregated) return load.points;
    const fromSec = Date.parse(load.query.from) / 1000;
    return mergeLive(load.points, live, liveOnly ? -Infinity : fromSec);
  }, [load, live, liveOnly]);

  const lastT = points.length ? points[points.length - 1].t : 0;
  const toSec = Math.max(Date.parse(load.query.to) / 1000, lastT);
  const xRange = useMemo(() => {
    if (liveOnly && points.length) return [Math.min(points[0].t, toSec - 60), toSec + 5];
    return [toSec - rangeSec, toSec];
  }, [liveOnly, points, toSec, rangeSec]);

  const agg = load.aggregated;
  const charts = [
    {
      id: 'soc', title: t('history.soc'), unit: '%', yRange: [0, 100], digits: 0,
      keys: agg ? ['soc', 'soc_min', 'soc_max'] : ['soc'],
      series: agg
        ? [{ label: t('history.avg'), stroke: COLORS.soc }, { label: t('history.min'), stroke: faint(COLORS.soc), width: 1 }, { label: t('history.max'), stroke: faint(COLORS.soc), width: 1 }]
        : [{ label: 'SoC', stroke: COLORS.soc, fill: `${COLORS.soc}14` }],
    },
    {
      id: 'solar', title: t('history.solar'), unit: 'W', digits: 1,
      keys: agg ? ['solar_w', 'solar_w_max'] : ['solar_w'],
      series: agg
        ? [{ label: t('history.avg'), stroke: COLORS.solar, fill: `${COLORS.solar}1f` }, { label: t('history.max'), stroke: faint(COLORS.solar), width: 1 }]
        : [{ label: 'W', stroke: COLORS.solar, fill: `${COLORS.solar}1f` }],
    },
    {
      id: 'lux', title: t('history.lux'), unit: 'lux', digits: 0,
      keys: agg ? ['lux', 'lux_max'] : ['lux'],
      series: agg
        ? [{ label: t('history.avg'), stroke: COLORS.lux }, { label: t('history.max'), stroke: faint(COLORS.lux), width: 1 }]
        : [{ label: 'lux', stroke: COLORS.lux }],
    },
  ];

  const notice = {
    notfound: t('history.notFound'),
    failed: t('history.failed', { reason: load.reason }),
    virtual: t('history.virtual'),
  }[load.status];
  const solarWh = agg ? totalSolarWh(points) : null;
  const csvDisabled = mode !== 'real' || load.status === 'notfound';

  return (
    <div className="page page-history">
      <h1 className="page-title">{t('history.title')}</h1>

      <div className="toolbar card">
        <div className="segmented" role="group" aria-label={t('history.range')}>
          {PRESETS.map((p) => (
            <button
              key={p.id}
              type="button"
              className={p.id === presetId ? 'active' : undefined}
              aria-pressed={p.id === presetId}
              data-testid={`range-${p.id}`}
              onClick={() => setPresetId(p.id)}
            >
              {t(`history.preset.${p.id}`)}
            </button>
          ))}
        </div>
        <div className="toolbar-info muted num" data-testid="history-status" data-status={load.status}>
          {load.status === 'loading'
            ? t('history.loading')
            : `${liveOnly ? t('history.live') : t(`history.res.${load.query.resolution}`)} · ${t('history.points', { n: fmt(points.length, locale) })}`}
          {solarWh !== null && ` · ${t('history.solarWh')} ${fmt(solarWh, locale, 1)} Wh`}
        </div>
        <a
          className={`btn small${csvDisabled ? ' disabled' : ''}`}
          data-testid="history-csv"
          href={csvDisabled ? undefined : apiUrl(historyPath(load.query, 'csv'))}
          download={`solgrid-history-${presetId}.csv`}
          aria-disabled={csvDisabled ? 'true' : undefined}
        >
          <DownloadIcon /> {t('history.csv')}
        </a>
      </div>

      <p className={`notice${notice ? '' : ' empty'}`} role="status">{notice || (agg ? t('history.aggNote') : '\u00a0')}</p>

      <div className="charts">
        {charts.map((c) => (
          <section className="card chart-card" key={c.id}>
            <h2 className="card-label">
              {c.title} <span className="muted">({c.unit})</span>
            </h2>
            <TimeChart
              testId={`chart-${c.id}`}
              data={toColumns(points, c.keys)}
              series={c.series}
              unit={c.unit}
              yRange={c.yRange}
              xRange={xRange}
              locale={locale}
              timeLabel={t('history.time')}
              digits={c.digits}
              height={200}
            />
            {points.length === 0 && load.status !== 'loading' && <div className="chart-empty muted">{t('history.empty')}</div>}
          </section>
        ))}
      </div>
    </div>
  );
}
