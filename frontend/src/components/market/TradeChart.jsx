import { useMemo } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { tradeSeries } from '../../lib/market.js';
import TimeChart from '../TimeChart.jsx';

// The prices of the recent trades over time (TimeChart, one point per trade).
export default function TradeChart({ trades, currency }) {
  const { t, locale } = useI18n();
  const data = useMemo(() => tradeSeries(trades), [trades]);
  // A little room either side, so one trade (or a burst in one second) is not a span of years.
  const xRange = useMemo(() => (data[0].length ? [data[0][0] - 30, data[0].at(-1) + 30] : undefined), [data]);
  // Prices from 0 up to a little above the highest (100 while there is none).
  const yRange = useMemo(() => [0, data[1].length ? Math.ceil(Math.max(...data[1]) * 1.2) || 1 : 100], [data]);
  const series = useMemo(() => [{ label: t('market.chart'), stroke: '#0e7490', fill: '#0e749014' }], [t]);
  return (
    <section className="card chart-card trade-chart-card">
      <h3 className="card-label">
        {t('market.chart')} <span className="muted">({currency}/kWh)</span>
      </h3>
      <TimeChart
        testId="trade-chart"
        data={data}
        series={series}
        unit={`${currency}/kWh`}
        xRange={xRange}
        yRange={yRange}
        locale={locale}
        timeLabel={t('market.time')}
        digits={0}
        height={180}
      />
      {data[0].length === 0 && <div className="chart-empty muted">{t('market.noTrades')}</div>}
    </section>
  );
}
