import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// A time-series chart on uPlot (canvas; stays fast with tens of thousands of points).
// data: [xs (epoch s), ...ys]; series: [{ label, stroke, width, dash, fill }].
// The container reserves its height up front so nothing jumps when data arrives.

// Axis ticks in the UI's locale: seconds, minutes or days depending on the tick spacing.
function tickFormatter(locale) {
  const f = (opts) => new Intl.DateTimeFormat(locale, opts);
  const sec = f({ hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const min = f({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = f({ month: 'short', day: 'numeric' });
  return (u, splits, axisIdx, space, incr) =>
    splits.map((v) => (v === null ? '' : (incr < 60 ? sec : incr < 86400 ? min : day).format(new Date(v * 1000))));
}

// Room for the widest y label (e.g. "60,000") so it is never clipped.
function yAxisSize(u, values) {
  const longest = values ? Math.max(0, ...values.map((v) => String(v ?? '').length)) : 4;
  return Math.max(40, longest * 7 + 18);
}

function legendTime(locale) {
  const f = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return (u, v) => (v === null || v === undefined ? '—' : f.format(new Date(v * 1000)));
}

function fmtNum(v, digits) {
  if (v === null || v === undefined) return '—';
  return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits });
}

export default function TimeChart({ testId, data, series, unit, height = 220, xRange, yRange, locale = 'ko-KR', timeLabel = 'Time', digits = 1 }) {
  const elRef = useRef(null);
  const plotRef = useRef(null);
  const dataRef = useRef(data);
  const xRangeRef = useRef(xRange);
  dataRef.current = data;
  xRangeRef.current = xRange;
  const seriesKey = JSON.stringify(series) + locale + timeLabel + unit + JSON.stringify(yRange) + height;

  useEffect(() => {
    const el = elRef.current;
    const axis = { stroke: '#64748b', grid: { stroke: '#e8edf2', width: 1 }, ticks: { stroke: '#e8edf2', width: 1 }, font: '11px system-ui, sans-serif' };
    const opts = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: {
        x: { time: true, range: (u, min, max) => xRangeRef.current || [min, max] },
        y: yRange ? { range: () => yRange } : { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] },
      },
      series: [
        { label: timeLabel, value: legendTime(locale) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 2,
          dash: s.dash,
          fill: s.fill,
          spanGaps: false,
          points: { size: 5 },
          value: (u, v) => (v === null || v === undefined ? '—' : `${fmtNum(v, digits)} ${unit}`),
        })),
      ],
      axes: [{ ...axis, values: tickFormatter(locale) }, { ...axis, size: yAxisSize, values: (u, vals) => vals.map((v) => fmtNum(v, 0)) }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    const u = new uPlot(opts, dataRef.current, el);
    plotRef.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plotRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seriesKey]);

  useEffect(() => {
    plotRef.current?.setData(data);
  }, [data, xRange]);

  return (
    <div
      className="chart"
      data-testid={testId}
      data-points={data[0].length}
      ref={elRef}
      style={{ minHeight: height + 40 }}
    />
  );
}
