import { apiUrl } from './config.js';

// fetch + JSON with a client-side timeout. Never throws: the result says what happened.
//   { ok: true, status, data }                       2xx
//   { ok: false, kind: 'http', status, data }        non-2xx (data = parsed body if JSON)
//   { ok: false, kind: 'timeout' | 'network', error } no answer
export async function fetchJson(path, { method = 'GET', body, timeoutMs = 8000, signal } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  const onOuterAbort = () => ctrl.abort(signal.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const res = await fetch(apiUrl(path), {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal,
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    return res.ok ? { ok: true, status: res.status, data } : { ok: false, kind: 'http', status: res.status, data };
  } catch (error) {
    const timedOut = ctrl.signal.aborted && !signal?.aborted;
    return { ok: false, kind: timedOut ? 'timeout' : 'network', error };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}
