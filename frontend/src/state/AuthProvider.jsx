import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { fetchJson, onUnauthorized } from '../lib/api.js';
import { authFromMe, loginError } from '../lib/auth.js';

// Who is using the dashboard: asks GET /api/auth/me on load and whenever the backend says
// 401 (a REST answer, or the socket's CONNECT_ERROR "unauthorized"), and offers login and
// logout. See lib/auth.js for the statuses; GridProvider connects the socket only while
// the status is not 'login' (and not 'checking').
const AuthContext = createContext({ status: 'unknown', user: null, recheck: async () => {}, login: async () => null, logout: async () => {}, showLogin: () => {} });

const ME_TIMEOUT_MS = 5000;

export function AuthProvider({ children }) {
  const [auth, setAuth] = useState({ status: 'checking', user: null });
  const authRef = useRef(auth);
  authRef.current = auth;
  const inFlight = useRef(null);

  // One GET /api/auth/me at a time; concurrent callers share its answer.
  const recheck = useCallback(() => {
    if (inFlight.current) return inFlight.current;
    const p = fetchJson('/api/auth/me', { timeoutMs: ME_TIMEOUT_MS }).then((res) => {
      const next = authFromMe(res, authRef.current);
      authRef.current = next;
      setAuth(next);
      return next;
    });
    inFlight.current = p.finally(() => { inFlight.current = null; });
    return inFlight.current;
  }, []);

  useEffect(() => {
    recheck();
    return onUnauthorized(() => { if (authRef.current.status !== 'login') recheck(); });
  }, [recheck]);

  // → null on success, else { key, vars } for the login page to show.
  const login = useCallback(async (username, password) => {
    const res = await fetchJson('/api/auth/login', { method: 'POST', body: { username, password }, timeoutMs: 10000 });
    const error = loginError(res);
    if (error) return error;
    // The answer names the user; /me confirms the cookie works (and catches AUTH=off).
    const next = authFromMe({ ok: true, status: 200, data: res.data }, authRef.current);
    authRef.current = next;
    setAuth(next);
    recheck();
    return null;
  }, [recheck]);

  const logout = useCallback(async () => {
    await fetchJson('/api/auth/logout', { method: 'POST', body: {}, timeoutMs: 5000 });
    // Whatever the answer, ask who we are now (normally 401 → the login page).
    const next = await recheck();
    if (next.status === 'user') {
      // The cookie still works (the logout did not reach the server): say so by staying.
      return false;
    }
    return true;
  }, [recheck]);

  // A guest (PUBLIC_READ) asks for the login page.
  const showLogin = useCallback(() => {
    const next = { status: 'login', user: null };
    authRef.current = next;
    setAuth(next);
  }, []);

  const value = useMemo(() => ({ ...auth, recheck, login, logout, showLogin }), [auth, recheck, login, logout, showLogin]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  return useContext(AuthContext);
}
