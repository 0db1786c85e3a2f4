import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// A time-series chart on uPlot (canvas; stays fast with tens of thousands of points).
// data: [xs (epoch s), ...ys]; series: [{ label, stroke, width, dash, fill }].
// The container reserves its height up front so nothing jumps when data arrives.

const KO_NAMES = {
  MMMM: Array.from({ length: 12 }, (_, i) => `${i + 1}월`),
  MMM: Array.from({ length: 12 }, (_, i) => `${i + 1}월`),
  WWWW: ['일요일', '월요일', '화요일', '수요일', '목요일', '금요일', '토요일'],
  WWW: ['일', '월', '화', '수', '목', '금', '토'],
};

function fmtNum(v, digits) {
  if (v === null || v === undefined) return '—';
  return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits });
}

export default function TimeChart({ testId, data, series, unit, height = 220, xRange, yRange, lang = 'ko', digits = 1 }) {
  const elRef = useRef(null);
  const plotRef = useRef(null);
  const dataRef = useRef(data);
  const xRangeRef = useRef(xRange);
  dataRef.current = data;
  xRangeRef.current = xRange;
  const seriesKey = JSON.stringify(series) + lang + unit + JSON.stringify(yRange) + height;

  useEffect(() => {
    const el = elRef.current;
    const axis = { stroke: '#64748b', grid: { stroke: '#e8edf2', width: 1 }, ticks: { stroke: '#e8edf2', width: 1 }, font: '11px system-ui, sans-serif' };
    const opts = {
      width: Math.max(200, el.clientWidth),
      height,
      fmtDate: lang === 'ko' ? (tpl) => uPlot.fmtDate(tpl, KO_NAMES) : undefined,
      scales: {
        x: { time: true, range: (u, min, max) => xRangeRef.current || [min, max] },
        y: yRange ? { range: () => yRange } : { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] },
      },
      series: [
        {},
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
      axes: [{ ...axis }, { ...axis, size: 52, values: (u, vals) => vals.map((v) => fmtNum(v, 0)) }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    if (opts.fmtDate === undefined) delete opts.fmtDate;
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
