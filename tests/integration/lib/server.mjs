// Starts the real solgrid binary for a test: 127.0.0.1, an ephemeral port,
// its own temporary directory and SQLite file. Stopped by PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const solgridBin = process.env.SOLGRID_BIN || path.join(repoRoot, 'build/solgrid');

// Collects a just-spawned server's output and resolves with the port of its
// "listening on http(s)://host:PORT" line; kills it if that never comes (a
// half-started server would hang the runner). `output()` returns all it said.
export async function waitForListening(child, name, limitMs = 15000) {
  let text = '';
  const output = () => text;
  const onData = (d) => { text += d.toString(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const boundPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try { process.kill(child.pid, 'SIGKILL'); } catch {}
      reject(new Error(`${name} did not start:\n${text}`));
    }, limitMs);
    const check = () => {
      const m = text.match(/listening on https?:\/\/[^\s:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}:\n${text}`)); });
  });
  return { boundPort, output };
}

export async function startServer({ env = {}, args = [], port = 0, dir } = {}) {
  const workdir = dir || mkdtempSync(path.join(tmpdir(), 'solgrid-it-'));
  const child = spawn(solgridBin, ['serve', '--host', '127.0.0.1', '--port', String(port), ...args], {
    cwd: workdir,
    env: {
      PATH: process.env.PATH,
      DB_PATH: path.join(workdir, 'solgrid.db'),
      LOG_LEVEL: 'info',
      // The seed's open contract is checked with AUTH=off (issue 12); the
      // access-control tests pass AUTH: 'on'.
      AUTH: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { boundPort, output } = await waitForListening(child, 'solgrid');
  const url = `http://127.0.0.1:${boundPort}`;
  return {
    url,
    port: boundPort,
    dir: workdir,
    child,
    output,
    async stop({ keepDir = false, signal = 'SIGTERM' } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, signal);
        const timeout = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, 10000);
        await exited;
        clearTimeout(timeout);
      }
      if (!keepDir && !dir) rmSync(workdir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

export async function postJson(url, body, init = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(init.headers || {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

export async function getJson(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}
