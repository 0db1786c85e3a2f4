import { unwrap } from './normalize.js';

export const ARDUINO_CHECK_TIMEOUT_MS = 10000;

// What the "아두이노 연결 확인" button shows for a fetchJson result of
// GET /api/arduino/check. Returns { status, key, vars, message, device }.
export function describeArduinoCheck(res, timeoutMs = ARDUINO_CHECK_TIMEOUT_MS) {
  if (!res.ok) {
    if (res.kind === 'timeout') return { status: 'timeout', key: 'arduino.timeout', vars: { s: Math.round(timeoutMs / 1000) } };
    if (res.kind === 'network') return { status: 'error', key: 'arduino.network' };
    if (res.status === 404) return { status: 'error', key: 'arduino.notFound' };
    // The backend may answer a failed device check with an error status and the same JSON.
    const body = unwrap(res.data);
    if (body && typeof body === 'object' && ('reachable' in body || 'configured' in body)) {
      return describeArduinoCheck({ ok: true, status: res.status, data: body }, timeoutMs);
    }
    return { status: 'error', key: 'arduino.httpError', vars: { status: res.status }, message: body?.error || body?.message };
  }
  const body = unwrap(res.data) || {};
  const message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : undefined;
  if (body.configured === false) return { status: 'unconfigured', key: 'arduino.unconfigured', message };
  if (body.reachable === true) {
    return {
      status: 'ok',
      key: 'arduino.ok',
      latencyMs: Number.isFinite(Number(body.latency_ms)) ? Number(body.latency_ms) : null,
      device: body.device && typeof body.device === 'object' ? body.device : null,
      message,
    };
  }
  return { status: 'unreachable', key: 'arduino.unreachable', message };
}
