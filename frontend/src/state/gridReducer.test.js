import { describe, expect, test } from 'vitest';
import { gridReducer, initialState, LIVE_LIMIT } from './gridReducer.js';
import { normalizeReading } from './normalize.js';

const reading = (soc, iso) => normalizeReading({ soc, solar_w: 10, lux: 100, timestamp: iso });
const run = (actions, state = initialState()) => actions.reduce(gridReducer, state);

describe('mode switching', () => {
  test('starts connecting; connect → real; connect_error → virtual with stored relays', () => {
    const s0 = initialState();
    expect(s0.mode).toBe('connecting');
    expect(gridReducer(s0, { type: 'connected', epoch: 1 }).mode).toBe('real');
    const v = gridReducer(s0, { type: 'connect_error', virtualRelays: { B: true } });
    expect(v.mode).toBe('virtual');
    expect(v.relays).toEqual({ A: false, B: true, C: false, D: false });
  });

  test('repeated connect_error while virtual keeps the state (no reset every retry)', () => {
    const v = run([
      { type: 'connect_error', virtualRelays: {} },
      { type: 'reading', source: 'virtual', reading: reading(70, '2025-01-01T10:00:00Z') },
    ]);
    expect(gridReducer(v, { type: 'connect_error', virtualRelays: {} })).toBe(v);
  });

  test('virtual data never shows in real mode and vice versa', () => {
    const v = run([
      { type: 'connect_error', virtualRelays: { A: true } },
      { type: 'reading', source: 'virtual', reading: reading(70, '2025-01-01T10:00:00Z') },
    ]);
    expect(v.reading.soc).toBe(70);
    const r = gridReducer(v, { type: 'connected', epoch: 1 });
    expect(r.reading).toBeNull();
    expect(r.live).toEqual([]);
    expect(r.relays).toEqual({ A: null, B: null, C: null, D: null });
    expect(gridReducer(r, { type: 'reading', source: 'virtual', reading: reading(71, '2025-01-01T10:00:02Z') })).toBe(r);

    const real = gridReducer(r, { type: 'reading', source: 'real', epoch: 1, reading: reading(85, '2025-01-01T10:00:03Z') });
    const back = gridReducer(real, { type: 'disconnected', virtualRelays: {} });
    expect(back.mode).toBe('virtual');
    expect(back.reading).toBeNull();
    expect(gridReducer(back, { type: 'relays', source: 'real', epoch: 1, relays: { A: true } })).toBe(back);
  });

  test('answers from an older connection (stale epoch) are ignored', () => {
    const s = run([{ type: 'connected', epoch: 1 }, { type: 'disconnected' }, { type: 'connected', epoch: 2 }]);
    expect(gridReducer(s, { type: 'reading', source: 'real', epoch: 1, reading: reading(10, '2025-01-01T10:00:00Z') })).toBe(s);
    expect(gridReducer(s, { type: 'reading', source: 'real', epoch: 2, reading: reading(10, '2025-01-01T10:00:00Z') }).reading.soc).toBe(10);
  });
});

describe('readings and relays', () => {
  const real = () => gridReducer(initialState(), { type: 'connected', epoch: 1 });

  test('a REST snapshot older than a pushed event does not overwrite it', () => {
    const s = run([
      { type: 'reading', source: 'real', epoch: 1, reading: reading(85, '2025-01-01T10:00:05Z') },
      { type: 'reading', source: 'real', epoch: 1, reading: reading(80, '2025-01-01T10:00:00Z') },
    ], real());
    expect(s.reading.soc).toBe(85);
    expect(s.live).toHaveLength(1);
  });

  test('live buffer appends in time order and is bounded', () => {
    const full = Array.from({ length: LIVE_LIMIT }, (_, i) => ({ t: i, soc: 50, solar_w: 1, lux: 1 }));
    let s = { ...real(), live: full };
    for (let i = 0; i < 5; i++) {
      s = gridReducer(s, { type: 'reading', source: 'real', epoch: 1, reading: { soc: 60, solar_w: 1, lux: 1, timestamp: '', t: LIVE_LIMIT + i } });
    }
    expect(s.live).toHaveLength(LIVE_LIMIT);
    expect(s.live[0].t).toBe(5);
    expect(s.live.at(-1)).toEqual({ t: LIVE_LIMIT + 4, soc: 60, solar_w: 1, lux: 1 });
  });

  test('relay updates merge booleans; an update with nothing new keeps the state object', () => {
    const s = gridReducer(real(), { type: 'relays', source: 'real', epoch: 1, relays: { A: true, B: false, C: false, D: false } });
    expect(s.relays).toEqual({ A: true, B: false, C: false, D: false });
    const s2 = gridReducer(s, { type: 'relays', source: 'real', epoch: 1, relays: { B: true } });
    expect(s2.relays).toEqual({ A: true, B: true, C: false, D: false });
    expect(gridReducer(s2, { type: 'relays', source: 'real', epoch: 1, relays: { B: true } })).toBe(s2);
  });

  test('config sets the capacity; device status only from the live connection', () => {
    expect(gridReducer(initialState(), { type: 'config', capacityWh: 12000 }).capacityWh).toBe(12000);
    expect(gridReducer(initialState(), { type: 'config', capacityWh: 0 }).capacityWh).toBe(10000);
    expect(gridReducer(real(), { type: 'device', source: 'real', epoch: 1, device: { online: true } }).device).toEqual({ online: true });
  });
});
