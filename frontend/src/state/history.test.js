import { describe, expect, test } from 'vitest';
import { historyPath, historyQuery, mapHistoryRows, mergeLive, PRESETS, presetById, toColumns, totalSolarWh } from './history.js';

const now = new Date('2025-12-01T12:00:00.000Z');

describe('range presets', () => {
  test('raw for ≤ 24 h, hour for 7 d, day for 30 d', () => {
    expect(PRESETS.map((p) => [p.id, p.resolution])).toEqual([['1h', 'raw'], ['24h', 'raw'], ['7d', 'hour'], ['30d', 'day']]);
    expect(presetById('nope').id).toBe('1h');
  });
  test('query and URL (also the CSV link)', () => {
    const q = historyQuery(presetById('7d'), now);
    expect(q).toEqual({ from: '2025-11-24T12:00:00.000Z', to: '2025-12-01T12:00:00.000Z', resolution: 'hour' });
    expect(historyPath(q)).toBe('/api/data/history?from=2025-11-24T12%3A00%3A00.000Z&to=2025-12-01T12%3A00%3A00.000Z&resolution=hour');
    expect(historyPath(q, 'csv')).toMatch(/&resolution=hour&format=csv$/);
  });
});

describe('mapHistoryRows', () => {
  test('raw rows from the wrapped response, sorted, bad rows dropped', () => {
    const body = {
      success: true,
      data: {
        resolution: 'raw',
        rows: [
          { timestamp: '2025-12-01T11:00:02Z', soc: 81, solar_w: 120.5, lux: 35000 },
          { timestamp: '2025-12-01T11:00:00Z', soc: 80, solar_w: 119, lux: 34000, extra: 1 },
          { timestamp: 'not a date', soc: 1 },
          null,
        ],
      },
    };
    const { resolution, aggregated, points } = mapHistoryRows(body);
    expect(resolution).toBe('raw');
    expect(aggregated).toBe(false);
    expect(points).toEqual([
      { t: Date.parse('2025-12-01T11:00:00Z') / 1000, soc: 80, solar_w: 119, lux: 34000 },
      { t: Date.parse('2025-12-01T11:00:02Z') / 1000, soc: 81, solar_w: 120.5, lux: 35000 },
    ]);
  });

  test('hour/day roll-ups: averages become the main values, min/max/energy kept', () => {
    const body = {
      success: true,
      data: {
        resolution: 'hour',
        rows: [{
          timestamp: '2025-12-01T10:00:00Z', soc_avg: 75.5, soc_min: 70, soc_max: 80,
          solar_w_avg: 150, solar_w_max: 210, solar_wh: 150.2, lux_avg: 30000, lux_max: 41000,
        }],
      },
    };
    const { aggregated, points } = mapHistoryRows(body, 'hour');
    expect(aggregated).toBe(true);
    expect(points[0]).toEqual({
      t: Date.parse('2025-12-01T10:00:00Z') / 1000, soc: 75.5, solar_w: 150, lux: 30000,
      soc_min: 70, soc_max: 80, solar_w_max: 210, lux_max: 41000, solar_wh: 150.2,
    });
    expect(totalSolarWh(points)).toBeCloseTo(150.2);
  });

  test('tolerates {rows}, a bare array, missing fields and empty bodies', () => {
    expect(mapHistoryRows({ rows: [{ timestamp: '2025-12-01T10:00:00Z', soc: 5 }] }).points[0]).toMatchObject({ soc: 5, solar_w: null, lux: null });
    expect(mapHistoryRows([{ timestamp: '2025-12-01T10:00:00Z', soc: '7' }]).points[0].soc).toBe(7);
    expect(mapHistoryRows(null).points).toEqual([]);
    expect(mapHistoryRows({ success: true, data: { rows: [] } }, 'day')).toMatchObject({ resolution: 'day', aggregated: true, points: [] });
    expect(totalSolarWh([{ t: 1, soc: 1 }])).toBeNull();
  });
});

describe('live extension and columns', () => {
  const stored = [{ t: 100, soc: 1 }, { t: 200, soc: 2 }];
  test('appends only live points newer than the stored ones and inside the range', () => {
    const live = [{ t: 150, soc: 9 }, { t: 200, soc: 9 }, { t: 250, soc: 3 }];
    expect(mergeLive(stored, live).map((p) => p.t)).toEqual([100, 200, 250]);
    expect(mergeLive([], live, 160).map((p) => p.t)).toEqual([200, 250]);
    expect(mergeLive(stored, [])).toBe(stored);
  });
  test('uPlot columns with null gaps', () => {
    expect(toColumns([{ t: 1, soc: 5 }, { t: 2 }], ['soc', 'lux'])).toEqual([[1, 2], [5, null], [null, null]]);
  });
});
