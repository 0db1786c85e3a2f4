// Helpers for the Socket.IO integration tests: the sio-test-server binary
// (built next to solgrid), real socket.io-client connections, and waits
// that poll for a condition with a generous limit (never a timing assertion).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { io } from 'socket.io-client';
import { solgridBin, waitForListening } from './server.mjs';

export const WAIT_MS = 20000;
export const testServerBin = process.env.SIO_TEST_SERVER_BIN || path.join(path.dirname(solgridBin), 'sio-test-server');

// Starts build/sio-test-server on 127.0.0.1 (ephemeral port unless given).
// `args` are its flags, e.g. ['--recovery-window', '60000']. Stopped by PID.
export async function startTestServer({ args = [], port = 0 } = {}) {
  const child = spawn(testServerBin, ['--host', '127.0.0.1', '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { boundPort, output } = await waitForListening(child, 'sio-test-server');
  const url = `http://127.0.0.1:${boundPort}`;
  return {
    url,
    port: boundPort,
    child,
    output,
    // {sessions, clients, sockets}, or with a socket id {connected}.
    async stats(socketId) {
      const res = await fetch(`${url}/stats${socketId ? `?socket=${encodeURIComponent(socketId)}` : ''}`);
      return res.json();
    },
    async emit(spec) {
      const res = await fetch(`${url}/emit`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec),
      });
      if (res.status !== 200) throw new Error(`/emit answered ${res.status}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const timeout = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, 10000);
        await exited;
        clearTimeout(timeout);
      }
    },
  };
}

// Resolves with the listener's arguments the next time `event` fires.
export function once(emitter, event, { timeout = WAIT_MS, what } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out waiting for ${what || event}`));
    }, timeout);
    const handler = (...args) => { clearTimeout(timer); resolve(args); };
    emitter.once(event, handler);
  });
}

// Polls `predicate` (sync or async) until it is truthy; returns its value.
export async function waitUntil(predicate, { timeout = WAIT_MS, interval = 20, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

// Every event a socket receives, in order: [{event, args}].
export function record(socket) {
  const log = [];
  socket.onAny((event, ...args) => log.push({ event, args }));
  return log;
}

// A socket.io-client connection that has completed its CONNECT. Options
// default to no automatic reconnection so a test controls every reconnect.
export async function connect(url, opts = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, timeout: WAIT_MS, ...opts });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for connect')), WAIT_MS);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('connect_error', (e) => { clearTimeout(timer); reject(e); });
    });
  } catch (e) {
    socket.disconnect();
    throw e;
  }
  return socket;
}

// Closes every socket (idempotent) so no handle keeps the test alive.
export function closeAll(sockets) {
  for (const s of sockets) {
    try { s.disconnect(); } catch {}
    try { s.io.engine?.close(); } catch {}
  }
}

export const toBuffer = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(x instanceof ArrayBuffer ? new Uint8Array(x) : x));

// The seed's new_sun_data fields of a stored reading (POST /api/data/solar
// answers with more, e.g. the relay state the device should apply).
export const sunFields = ({ soc, solar_w, lux, timestamp }) => ({ soc, solar_w, lux, timestamp });
