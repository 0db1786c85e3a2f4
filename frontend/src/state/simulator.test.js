import { describe, expect, test } from 'vitest';
import { createSim, daylight, PEAK_LUX, PEAK_SOLAR_W, simulateStep, SOC_FLOOR } from './simulator.js';

const at = (h, m = 0) => new Date(2025, 5, 21, h, m, 0);
const fixedRng = (v = 0.5) => () => v;

describe('daylight curve', () => {
  test('dark at night, peaks at noon, symmetric', () => {
    expect(daylight(at(3))).toBe(0);
    expect(daylight(at(6))).toBe(0);
    expect(daylight(at(18))).toBe(0);
    expect(daylight(at(12))).toBeCloseTo(1, 6);
    expect(daylight(at(9))).toBeCloseTo(daylight(at(15)), 6);
    expect(daylight(at(9))).toBeGreaterThan(0.5);
  });
});

describe('simulateStep', () => {
  test('a reading in the contract shape: integer soc, numbers ≥ 0, ISO timestamp', () => {
    const { reading } = simulateStep(createSim(70), { now: at(12), rng: fixedRng() });
    expect(Number.isInteger(reading.soc)).toBe(true);
    expect(reading.soc).toBe(70);
    expect(reading.solar_w).toBeGreaterThan(0);
    expect(reading.solar_w).toBeLessThanOrEqual(PEAK_SOLAR_W * 1.05);
    expect(reading.lux).toBeLessThanOrEqual(PEAK_LUX * 1.05);
    expect(reading.timestamp).toBe(at(12).toISOString());
    expect(reading.t).toBe(at(12).getTime() / 1000);
  });
  test('no sun at night', () => {
    const { reading } = simulateStep(createSim(70), { now: at(23), rng: fixedRng(0.9) });
    expect(reading.solar_w).toBe(0);
    expect(reading.lux).toBeLessThan(10);
  });
  test('noise stays gentle (within a few %)', () => {
    const lo = simulateStep(createSim(), { now: at(12), rng: fixedRng(0) }).reading.solar_w;
    const hi = simulateStep(createSim(), { now: at(12), rng: fixedRng(0.999) }).reading.solar_w;
    expect(hi / lo).toBeLessThan(1.15);
  });
  test('the sun charges the battery; households on at night drain it, never below the floor', () => {
    let sim = createSim(50);
    for (let i = 0; i < 200; i++) sim = simulateStep(sim, { now: at(12), dtSec: 60, relays: {}, rng: fixedRng() }).sim;
    expect(sim.socExact).toBeGreaterThan(50);

    let night = createSim(50);
    const allOn = { A: true, B: true, C: true, D: true };
    for (let i = 0; i < 200; i++) night = simulateStep(night, { now: at(22), dtSec: 60, relays: allOn, rng: fixedRng() }).sim;
    expect(night.socExact).toBeLessThan(50);
    for (let i = 0; i < 5000; i++) night = simulateStep(night, { now: at(22), dtSec: 60, relays: allOn, rng: fixedRng() }).sim;
    expect(night.socExact).toBe(SOC_FLOOR);
  });
  test('deterministic for a given clock and random source', () => {
    const a = simulateStep(createSim(60), { now: at(10), rng: fixedRng(0.3) });
    const b = simulateStep(createSim(60), { now: at(10), rng: fixedRng(0.3) });
    expect(a).toEqual(b);
  });
  test('createSim clamps and defaults', () => {
    expect(createSim(150).socExact).toBe(100);
    expect(createSim(-3).socExact).toBe(SOC_FLOOR);
    expect(createSim(undefined).socExact).toBe(72);
  });
});
