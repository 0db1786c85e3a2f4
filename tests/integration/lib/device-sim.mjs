// Helpers for the device tests: start the real `solgrid simulate` (a virtual
// Arduino) on 127.0.0.1, find free ports, wait for a condition, and listen
// to Socket.IO events when the server offers /socket.io/. Processes are
// stopped by PID.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { solgridBin } from './server.mjs';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts `solgrid simulate` posting to `server`; resolves once its device
// API is listening. Defaults: a fast interval, noon, a fixed seed; `env`
// adds environment variables (e.g. SIM_NO_METERS).
export async function startSimulator({ server, port = 0, interval = 0.3, args = [], env = {} }) {
  const child = spawn(solgridBin, ['simulate', '--host', '127.0.0.1', '--port', String(port), '--server', server,
    '--interval', String(interval), '--start-hour', '12', '--seed', '7', ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', TZ: process.env.TZ || 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d) => { output += d.toString(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const bound = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start:\n${output}`)), 15000);
    const check = () => {
      const m = output.match(/simulator listening on http:\/\/[^\s:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`simulator exited with ${code}:\n${output}`)); });
  });
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, signal);
      const timeout = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, 10000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

// Polls `probe` until it returns a truthy value; throws naming `what` (and
// the last value seen) if that does not happen within `timeout` ms.
export async function waitFor(probe, { timeout = 15000, every = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

// A socket.io-client connected to `url`, or null when the server has no
// Socket.IO endpoint yet. `events` collects every named event it receives.
export async function connectEvents(url, names) {
  try {
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(3000) });
    const body = await res.text();
    if (res.status !== 200 || !body.startsWith('0{')) return null;
  } catch {
    return null;
  }
  const { io } = await import('socket.io-client');
  const socket = io(url, { transports: ['websocket'], reconnection: false });
  const events = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) socket.on(n, (d) => events[n].push(d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket.io connect timed out')), 5000);
    socket.once('connect', () => { clearTimeout(t); resolve(); });
    socket.once('connect_error', (e) => { clearTimeout(t); reject(e); });
  });
  return { socket, events, close: () => socket.close() };
}
