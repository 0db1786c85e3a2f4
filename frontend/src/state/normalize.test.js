import { describe, expect, test } from 'vitest';
import { describeArduinoCheck } from './arduino.js';
import { normalizeReading, normalizeRelays } from './normalize.js';

describe('normalizeReading', () => {
  test('plain and wrapped /api/data/latest answers', () => {
    const plain = normalizeReading({ soc: 85, solar_w: 120, lux: 35000, timestamp: '2025-12-01T10:00:00Z' });
    expect(plain).toEqual({ soc: 85, solar_w: 120, lux: 35000, timestamp: '2025-12-01T10:00:00Z', t: Date.parse('2025-12-01T10:00:00Z') / 1000 });
    expect(normalizeReading({ success: true, data: { soc: 50, solar_w: 1.2e2, lux: 3.5e4, timestamp: '2025-12-01T10:00:00Z' } }).solar_w).toBe(120);
  });
  test('no soc → null (e.g. the 404 "no data yet" body)', () => {
    expect(normalizeReading({ success: false, error: 'no sensor data yet' })).toBeNull();
    expect(normalizeReading(null)).toBeNull();
  });
  test('a missing or bad timestamp falls back to now', () => {
    const r = normalizeReading({ soc: 1 });
    expect(Math.abs(r.t - Date.now() / 1000)).toBeLessThan(5);
    expect(Number.isNaN(Date.parse(r.timestamp))).toBe(false);
  });
});

describe('normalizeRelays', () => {
  test('keeps A–D booleans, ignores extra fields; tolerates a wrapper and 0/1', () => {
    expect(normalizeRelays({ A: true, B: false, C: false, D: true, updated_at: 'x', desired: {} })).toEqual({ A: true, B: false, C: false, D: true });
    expect(normalizeRelays({ success: true, data: { B: true } })).toEqual({ B: true });
    expect(normalizeRelays({ A: 1, B: 0, C: 'yes' })).toEqual({ A: true, B: false });
    expect(normalizeRelays(null)).toEqual({});
  });
});

describe('describeArduinoCheck', () => {
  test('not configured', () => {
    const d = describeArduinoCheck({ ok: true, status: 200, data: { configured: false, reachable: false, message: 'ARDUINO_URL not configured' } });
    expect(d).toMatchObject({ status: 'unconfigured', key: 'arduino.unconfigured', message: 'ARDUINO_URL not configured' });
  });
  test('reachable with latency and device', () => {
    const d = describeArduinoCheck({ ok: true, status: 200, data: { configured: true, reachable: true, latency_ms: 12, device: { fw: '1.0' } } });
    expect(d).toMatchObject({ status: 'ok', latencyMs: 12, device: { fw: '1.0' } });
  });
  test('configured but unreachable, also when sent with an error status', () => {
    expect(describeArduinoCheck({ ok: true, status: 200, data: { configured: true, reachable: false, message: 'timeout' } }).status).toBe('unreachable');
    expect(describeArduinoCheck({ ok: false, kind: 'http', status: 502, data: { configured: true, reachable: false } }).status).toBe('unreachable');
  });
  test('404, other HTTP errors, network errors and the client timeout', () => {
    expect(describeArduinoCheck({ ok: false, kind: 'http', status: 404, data: { error: 'no route' } })).toMatchObject({ status: 'error', key: 'arduino.notFound' });
    expect(describeArduinoCheck({ ok: false, kind: 'http', status: 500, data: { error: 'boom' } })).toMatchObject({ key: 'arduino.httpError', vars: { status: 500 }, message: 'boom' });
    expect(describeArduinoCheck({ ok: false, kind: 'network' })).toMatchObject({ status: 'error', key: 'arduino.network' });
    expect(describeArduinoCheck({ ok: false, kind: 'timeout' }, 10000)).toMatchObject({ status: 'timeout', vars: { s: 10 } });
  });
});
