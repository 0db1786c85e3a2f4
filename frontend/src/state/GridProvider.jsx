import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { fetchJson } from '../lib/api.js';
import { capacityFromConfig } from '../lib/energy.js';
import { gridReducer, initialState } from './gridReducer.js';
import { normalizeReading, normalizeRelays } from './normalize.js';
import { createSim, simulateStep, SIM_INTERVAL_MS } from './simulator.js';
import { useAuth } from './AuthProvider.jsx';
import { getSocket, UNAUTHORIZED } from './socket.js';
import { loadSimSoc, loadVirtualRelays, RELAYS_KEY, saveSimSoc, saveVirtualRelays } from './virtualStore.js';

// Wires the shared socket, the REST snapshot on (re)connect and the virtual-mode
// simulator into the pure gridReducer, and offers setRelay to the pages.
// The socket is open only while the AuthProvider's status lets the dashboard run
// ('unknown', 'off', 'user' or 'guest'): on the login page it is closed, and a login opens it
// again so the handshake carries the new session cookie. A CONNECT_ERROR "unauthorized"
// makes the AuthProvider ask /api/auth/me again (normally → the login page) instead of
// retrying for ever.
const GridContext = createContext(null);

const RETRY_MS = 2000;

const RUNS_WITH = ['unknown', 'off', 'user', 'guest'];

export function GridProvider({ children }) {
  const { status: authStatus, recheck } = useAuth();
  const active = RUNS_WITH.includes(authStatus);
  const activeRef = useRef(active);
  activeRef.current = active;
  const authRef = useRef({ authStatus, recheck });
  authRef.current = { authStatus, recheck };
  const [state, dispatch] = useReducer(gridReducer, undefined, initialState);
  const [pending, setPending] = useState({}); // household → true while a POST is out
  const [relayError, setRelayError] = useState(null);
  const epochRef = useRef(0);
  const stateRef = useRef(state);
  stateRef.current = state;

  useEffect(() => {
    const socket = getSocket();
    let retryTimer = null;
    const retryLater = () => {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => { if (activeRef.current && !socket.connected) socket.connect(); }, RETRY_MS);
    };

    async function snapshot(epoch) {
      const [latest, relays] = await Promise.all([
        fetchJson('/api/data/latest', { timeoutMs: 5000 }),
        fetchJson('/api/relay/status', { timeoutMs: 5000 }),
      ]);
      if (latest.ok) dispatch({ type: 'reading', source: 'real', epoch, reading: normalizeReading(latest.data) });
      if (relays.ok) dispatch({ type: 'relays', source: 'real', epoch, relays: normalizeRelays(relays.data) });
      const cfg = await fetchJson('/api/config', { timeoutMs: 5000 });
      dispatch({ type: 'config', capacityWh: capacityFromConfig(cfg.ok ? cfg.data : null) });
    }

    const onConnect = () => {
      const epoch = ++epochRef.current;
      dispatch({ type: 'connected', epoch });
      setPending({});
      setRelayError(null);
      snapshot(epoch);
      // Connected while we did not know the backend's auth mode (it was unreachable at
      // load): ask now, so the header, the banner and the switches follow it.
      if (authRef.current.authStatus === 'unknown') authRef.current.recheck();
    };
    const toVirtual = (type) => dispatch({ type, virtualRelays: loadVirtualRelays() });
    const onDisconnect = (reason) => {
      toVirtual('disconnected');
      // After a server-side disconnect socket.io-client does not reconnect on its own.
      if (reason === 'io server disconnect') retryLater();
    };
    const onConnectError = async (err) => {
      toVirtual('connect_error');
      if (err?.message === UNAUTHORIZED || authRef.current.authStatus === 'user') {
        // Not (or no longer) logged in: /api/auth/me decides; a 401 there shows the
        // login page (and closes the socket), anything else retries as before. While
        // logged in any refusal is checked the same way (a session may end while the
        // backend is away; a network error keeps the user).
        const next = await authRef.current.recheck();
        if (!RUNS_WITH.includes(next.status)) return;
      }
      // A refused namespace connection (e.g. middleware) also stops the built-in retries.
      if (!socket.active) retryLater();
    };
    const onSunData = (data) =>
      dispatch({ type: 'reading', source: 'real', epoch: epochRef.current, reading: normalizeReading(data) });
    const onRelayUpdate = (data) =>
      dispatch({ type: 'relays', source: 'real', epoch: epochRef.current, relays: normalizeRelays(data) });
    const onDeviceStatus = (data) =>
      dispatch({ type: 'device', source: 'real', epoch: epochRef.current, device: data && typeof data === 'object' ? data : null });

    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.on('new_sun_data', onSunData);
    socket.on('relay_status_update', onRelayUpdate);
    socket.on('device_status', onDeviceStatus);
    if (socket.connected) onConnect();

    return () => {
      clearTimeout(retryTimer);
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.off('new_sun_data', onSunData);
      socket.off('relay_status_update', onRelayUpdate);
      socket.off('device_status', onDeviceStatus);
    };
  }, []);

  // Open the socket while the dashboard may run, close it on the login page.
  useEffect(() => {
    const socket = getSocket();
    if (active) {
      if (!socket.connected && !socket.active) socket.connect();
    } else if (socket.connected || socket.active) {
      socket.disconnect();
    }
  }, [active]);

  // Virtual mode: simulated readings every couple of seconds; relays from localStorage
  // (also when another tab changes them).
  useEffect(() => {
    if (state.mode !== 'virtual' || !active) return undefined;
    let sim = createSim(loadSimSoc());
    let last = Date.now();
    const tick = () => {
      const now = new Date();
      const dtSec = Math.min(60, Math.max(0.5, (now.getTime() - last) / 1000));
      last = now.getTime();
      const { relays, capacityWh } = stateRef.current;
      const step = simulateStep(sim, { now, dtSec, relays, capacityWh });
      sim = step.sim;
      saveSimSoc(sim.socExact);
      dispatch({ type: 'reading', source: 'virtual', reading: step.reading });
    };
    tick();
    const timer = setInterval(tick, SIM_INTERVAL_MS);
    const onStorage = (e) => {
      if (e.key === RELAYS_KEY) dispatch({ type: 'relays', source: 'virtual', relays: loadVirtualRelays() });
    };
    window.addEventListener('storage', onStorage);
    return () => {
      clearInterval(timer);
      window.removeEventListener('storage', onStorage);
    };
  }, [state.mode, active]);

  const setRelay = useCallback(async (household, on) => {
    const { mode } = stateRef.current;
    setRelayError(null);
    if (mode === 'virtual') {
      // Never sent to the backend: virtual switches live in localStorage only.
      dispatch({ type: 'relays', source: 'virtual', relays: saveVirtualRelays({ [household]: on }) });
      return;
    }
    if (mode !== 'real') return;
    const epoch = epochRef.current;
    setPending((p) => ({ ...p, [household]: true }));
    const res = await fetchJson('/api/relay/update', { method: 'POST', body: { [household]: on }, timeoutMs: 8000 });
    if (epochRef.current !== epoch) return; // reconnected meanwhile: the snapshot has the truth
    setPending((p) => ({ ...p, [household]: false }));
    if (res.ok) {
      // The broadcast relay_status_update is the authority; use the answer too if it has the state.
      const relays = normalizeRelays(res.data);
      if (Object.keys(relays).length) dispatch({ type: 'relays', source: 'real', epoch, relays });
    } else {
      const reason = res.kind === 'http' ? `HTTP ${res.status}${res.data?.error ? ` — ${res.data.error}` : ''}` : res.kind;
      setRelayError({ household, reason });
    }
  }, []);

  const value = useMemo(() => ({ ...state, pending, relayError, setRelay }), [state, pending, relayError, setRelay]);
  return <GridContext.Provider value={value}>{children}</GridContext.Provider>;
}

export function useGrid() {
  const ctx = useContext(GridContext);
  if (!ctx) throw new Error('useGrid outside GridProvider');
  return ctx;
}
