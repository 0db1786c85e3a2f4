import { apiUrl, BACKEND_URL } from './config.js';

// Cookies (the login session) go with every request: same-origin in the production build,
// 'include' when VITE_BACKEND_URL points at another origin (npm run dev).
export const FETCH_CREDENTIALS = BACKEND_URL ? 'include' : 'same-origin';

// Who wants to hear that the backend answered 401 (the session ended or expired):
// the AuthProvider re-checks GET /api/auth/me. Answers of /api/auth/* are not reported.
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

// fetch + JSON with a client-side timeout. Never throws: the result says what happened.
//   { ok: true, status, data, headers }                2xx
//   { ok: false, kind: 'http', status, data, headers } non-2xx (data = parsed body if JSON)
//   { ok: false, kind: 'timeout' | 'network', error }  no answer
export async function fetchJson(path, { method = 'GET', body, timeoutMs = 8000, signal } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  const onOuterAbort = () => ctrl.abort(signal.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const res = await fetch(apiUrl(path), {
      method,
      credentials: FETCH_CREDENTIALS,
      headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal,
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (res.status === 401 && !path.startsWith('/api/auth/')) for (const fn of unauthorizedListeners) fn(path);
    return res.ok
      ? { ok: true, status: res.status, data, headers: res.headers }
      : { ok: false, kind: 'http', status: res.status, data, headers: res.headers };
  } catch (error) {
    const timedOut = ctrl.signal.aborted && !signal?.aborted;
    return { ok: false, kind: timedOut ? 'timeout' : 'network', error };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}
