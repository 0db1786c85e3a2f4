// `make run` stays a one-command demo with access control on (issue 12):
// scripts/run (what `make run` calls after building) creates an admin and a
// household login on a fresh database and prints how to log in, gives its
// simulator a device token, and the printed logins work against the server
// it started, which receives the simulator's readings.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './lib/server.mjs';
import { freePort, waitFor } from './lib/device-sim.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-run-'));
let child;
after(() => {
  if (child && child.exitCode === null) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

async function api(url, method, body, cookie) {
  const headers = { 'Content-Type': 'application/json', Origin: url.replace(/\/api.*$/, '') };
  if (cookie) headers.Cookie = cookie;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, json: await r.json().catch(() => null) };
}

test('scripts/run prints two logins that work, and its simulator posts with a device token', async () => {
  const port = await freePort();
  const simPort = await freePort();
  const db = path.join(dir, 'run.db');
  child = spawn(path.join(repoRoot, 'scripts/run'), ['--host', '127.0.0.1'], {
    cwd: repoRoot,
    detached: true,  // its own process group: stopped as `make run` is, with Ctrl-C (SIGINT)
    env: { PATH: process.env.PATH, DB_PATH: db, PORT: String(port), SIM_PORT: String(simPort), DEVICE_INTERVAL_S: '0.3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  await waitFor(() => /solgrid listening on http/.test(out) && /household-a\s+\/\s+\S+/.test(out), { what: 'the login banner and the server' });
  const admin = out.match(/admin\s+\/\s+(\S+)/)[1];
  const household = out.match(/household-a\s+\/\s+(\S+)/)[1];
  const base = `http://127.0.0.1:${port}`;

  const a = await api(`${base}/api/auth/login`, 'POST', { username: 'admin', password: admin });
  assert.equal(a.status, 200, JSON.stringify(a.json));
  const h = await api(`${base}/api/auth/login`, 'POST', { username: 'household-a', password: household });
  assert.deepEqual(h.json, { username: 'household-a', role: 'household', household: 'A' });
  const cookie = a.headers.get('set-cookie').split(';')[0];

  // The simulator's readings arrive, sent with the device token it was given.
  await waitFor(async () => (await api(`${base}/api/data/latest`, 'GET', undefined, cookie)).status === 200,
    { what: 'a reading from the simulator' });
  const devices = await api(`${base}/api/devices`, 'GET', undefined, cookie);
  const sim = devices.json.devices.find((d) => d.name === 'simulator' && !d.revoked_at);
  assert.ok(sim, JSON.stringify(devices.json));
  // Its use is recorded (by the server's next credential reload).
  const used = "SELECT COUNT(*) FROM api_tokens WHERE name = 'simulator' AND last_used_at IS NOT NULL";
  await waitFor(() => execFileSync('sqlite3', [db, used]).toString().trim() === '1', { what: "the simulator's token used" });
  assert.doesNotMatch(out, /refused the device token/);

  process.kill(-child.pid, 'SIGINT');
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
  assert.ok(code === 0 || code === 130 || code === 'SIGINT', `exit ${code}`);
});
