// A MySQL server that is not reachable when `solgrid serve` starts (issue 11,
// A10): it is retried for DB_START_RETRY_S, each attempt logged; then the
// start fails with an error naming DB_HOST:DB_PORT. A server that comes up
// within the window is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { solgridBin, postJson, getJson } from './lib/server.mjs';
import { startOwnMariadb } from './lib/mariadb.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function closedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Spawns `solgrid serve` with `env`; collects everything it says.
function spawnServe(env) {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-it-'));
  const child = spawn(solgridBin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  child.stderr.on('data', (d) => { text += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    exited,
    output: () => text,
    async until(what, re, limitMs) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const m = text.match(re);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`solgrid exited before ${what}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`no ${what} in ${limitMs} ms:\n${text}`);
        await sleep(50);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 10000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('an unreachable MySQL at start: retried, then an error naming DB_HOST:DB_PORT', async () => {
  const port = await closedPort();
  const s = spawnServe({ DB_HOST: '127.0.0.1', DB_PORT: String(port), DB_USER: 'solgrid', DB_START_RETRY_S: '1' });
  // A guard against a hang, not a timing assertion.
  const guard = setTimeout(() => { try { s.child.kill('SIGKILL'); } catch {} }, 30000);
  try {
    const { code, signal } = await s.exited;
    const out = s.output();
    assert.equal(signal, null, `killed by the guard:\n${out}`);
    assert.notEqual(code, 0, out);
    assert.match(out, new RegExp(`warn(?:ing)? cannot reach MySQL at 127\\.0\\.0\\.1:${port} \\(DB_HOST:DB_PORT\\), attempt 1`));
    assert.match(out, new RegExp(`cannot reach MySQL at 127\\.0\\.0\\.1:${port} \\(DB_HOST:DB_PORT\\) after \\d+ s: .*; `
      + 'check that the server is running and DB_HOST/DB_PORT are right'));
    assert.doesNotMatch(out, /listening on/);
  } finally {
    clearTimeout(guard);
    await s.stop();
  }
});

test('a MariaDB that comes up within DB_START_RETRY_S is used', async () => {
  const db = await startOwnMariadb();
  let s;
  try {
    await db.stop();  // keeps its data and its port: start() brings it back there
    s = spawnServe({
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: db.user,
      DB_PASSWORD: db.password,
      DB_DATABASE: 'solar_ess',
      DB_START_RETRY_S: '120',
    });
    await s.until('a retry warning', /cannot reach MySQL at .*attempt 1/, 30000);
    await db.start();
    const m = await s.until('"listening on"', /listening on http:\/\/[^\s:]+:(\d+)/, 120000);
    const url = `http://127.0.0.1:${m[1]}`;
    const r = await postJson(`${url}/api/data/solar`, { soc: 40, solar_w: 5, lux: 50 });
    assert.equal(r.status, 201, r.text);
    const h = await getJson(`${url}/healthz`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.json.database.kind, 'mysql');
  } finally {
    await s?.stop();
    db.destroy();
  }
});
