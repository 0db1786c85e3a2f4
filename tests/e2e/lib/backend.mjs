// Start and stop the real backend: `build/solgrid serve --port <port>` on 127.0.0.1 with
// a throw-away SQLite file, serving the built frontend (FRONTEND_DIR) from the same origin.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, DIST, SOLGRID_BIN, REPO } from './env.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Backend {
  constructor({ port, name = 'backend', env = {} }) {
    this.port = port;
    this.name = name;
    this.env = env;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'solgrid-e2e-'));
    this.dbPath = path.join(this.dir, 'e2e.db');
    this.url = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.starts = 0;
  }

  async start(timeoutMs = 15000) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const log = createWriteStream(path.join(ARTIFACTS, `${this.name}-${this.starts++}.log`));
    const proc = spawn(SOLGRID_BIN, ['serve', '--host', '127.0.0.1', '--port', String(this.port)], {
      cwd: REPO,
      env: { ...process.env, DB_PATH: this.dbPath, FRONTEND_DIR: DIST, AUTH: 'off', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    this.proc = proc;
    let exited = null;
    proc.once('exit', (code, signal) => { exited = { code, signal }; });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${SOLGRID_BIN} exited early (${JSON.stringify(exited)}); see ${log.path}`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return this;
      } catch { /* not up yet */ }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`backend did not answer GET /healthz with 200 within ${timeoutMs} ms; see ${log.path}`);
  }

  // Stop by PID: SIGTERM, then SIGKILL if it does not exit within 5 s.
  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* already gone */ } }, 5000);
    await gone;
    clearTimeout(timer);
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async post(pathname, body) {
    const res = await fetch(`${this.url}${pathname}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${pathname} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  // Does the binary speak Socket.IO (Engine.IO v4 polling handshake)?
  async hasSocketIo() {
    try {
      const res = await fetch(`${this.url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200 && (await res.text()).startsWith('0{');
    } catch {
      return false;
    }
  }
}
