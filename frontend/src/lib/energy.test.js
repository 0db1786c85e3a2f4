import { describe, expect, test } from 'vitest';
import { capacityFromConfig, DEFAULT_CAPACITY_WH, energyBalanceWh } from './energy.js';

describe('energyBalanceWh', () => {
  test('soc / 100 × capacity, the seed example', () => {
    expect(energyBalanceWh(85)).toBe(8500);
    expect(energyBalanceWh(85, 10000)).toBe(8500);
    expect(energyBalanceWh(0)).toBe(0);
    expect(energyBalanceWh(100)).toBe(10000);
  });
  test('uses the configured capacity and rounds to whole Wh', () => {
    expect(energyBalanceWh(50, 5000)).toBe(2500);
    expect(energyBalanceWh(33, 12345)).toBe(4074);
    expect(energyBalanceWh('85', 10000)).toBe(8500);
  });
  test('clamps SoC to 0..100', () => {
    expect(energyBalanceWh(120)).toBe(10000);
    expect(energyBalanceWh(-5)).toBe(0);
  });
  test('no reading → null; bad capacity → default', () => {
    expect(energyBalanceWh(null)).toBeNull();
    expect(energyBalanceWh(undefined)).toBeNull();
    expect(energyBalanceWh('x')).toBeNull();
    expect(energyBalanceWh(50, 0)).toBe(5000);
    expect(energyBalanceWh(50, NaN)).toBe(5000);
  });
});

describe('capacityFromConfig', () => {
  test('reads battery_capacity_wh, plain or wrapped', () => {
    expect(capacityFromConfig({ battery_capacity_wh: 12000, storage: 'sqlite' })).toBe(12000);
    expect(capacityFromConfig({ success: true, data: { battery_capacity_wh: 8000 } })).toBe(8000);
    expect(capacityFromConfig(JSON.parse('{"battery_capacity_wh":1E4}'))).toBe(10000);
  });
  test('defaults to 10000 when unavailable or invalid', () => {
    expect(capacityFromConfig(null)).toBe(DEFAULT_CAPACITY_WH);
    expect(capacityFromConfig({})).toBe(DEFAULT_CAPACITY_WH);
    expect(capacityFromConfig({ battery_capacity_wh: -1 })).toBe(DEFAULT_CAPACITY_WH);
  });
});
