import { describe, expect, test } from 'vitest';
import { loadSimSoc, loadVirtualRelays, RELAYS_KEY, saveSimSoc, saveVirtualRelays } from './virtualStore.js';

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

describe('virtual relay store', () => {
  test('all off by default; subsets merge and persist', () => {
    const s = memoryStorage();
    expect(loadVirtualRelays(s)).toEqual({ A: false, B: false, C: false, D: false });
    expect(saveVirtualRelays({ B: true }, s)).toEqual({ A: false, B: true, C: false, D: false });
    saveVirtualRelays({ D: true, junk: 1 }, s);
    expect(loadVirtualRelays(s)).toEqual({ A: false, B: true, C: false, D: true });
    expect(JSON.parse(s.map.get(RELAYS_KEY))).toEqual({ A: false, B: true, C: false, D: true });
  });
  test('corrupt storage or none at all falls back to all off', () => {
    const s = memoryStorage();
    s.setItem(RELAYS_KEY, '{not json');
    expect(loadVirtualRelays(s)).toEqual({ A: false, B: false, C: false, D: false });
    expect(loadVirtualRelays(null)).toEqual({ A: false, B: false, C: false, D: false });
  });
  test('simulated SoC round-trips', () => {
    const s = memoryStorage();
    expect(loadSimSoc(s)).toBeUndefined();
    saveSimSoc(63.456789, s);
    expect(loadSimSoc(s)).toBeCloseTo(63.46);
  });
});
