// LOG_FILE and LOG_FORMAT=json (issue 14 item 6): the real binary logs to a
// file, one valid JSON object per line (the access log's fields top-level
// at LOG_LEVEL=debug), and after logrotate's rename + SIGHUP it writes to a
// fresh file at the path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { solgridBin } from './lib/server.mjs';
import { exchange, request, parseResponses } from './lib/raw-http.mjs';
import { waitUntil } from './lib/sio.mjs';
import { call, login } from './lib/http.mjs';

// The complete lines of `file` (one being written may lack its newline yet).
function lines(file) {
  if (!existsSync(file)) return [];
  const all = readFileSync(file, 'utf8').split('\n');
  all.pop();
  return all;
}

function start(dir, env) {
  return spawn(solgridBin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, DB_PATH: path.join(dir, 'solgrid.db'), AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

test('LOG_FORMAT=json to LOG_FILE: every line parses, access lines carry their fields, SIGHUP reopens after a rename', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-log-'));
  const file = path.join(dir, 'solgrid.log');
  const child = start(dir, { LOG_FILE: file, LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    const listening = await waitUntil(() => lines(file).map((l) => JSON.parse(l)).find((o) => /listening on/.test(o.message)),
      { what: 'the listening line in LOG_FILE' });
    const port = Number(listening.message.match(/:(\d+) \(/)[1]);

    // A path with a quote and a backslash, and a query that must not be logged.
    const target = '/no"such\\page?token=secret';
    const { data } = await exchange(port, request('GET', target, { Connection: 'close' }));
    const answered = parseResponses(data, ['GET']).responses[0].status;
    const access = await waitUntil(() => lines(file).map((l) => JSON.parse(l)).find((o) => o.route === '/no"such\\page'),
      { what: 'the access line' });
    assert.equal(access.method, 'GET');
    assert.equal(access.status, answered);
    assert.equal(typeof access.duration_ms, 'number');
    assert.equal(access.client, '127.0.0.1');
    assert.equal(access.level, 'debug');
    assert.match(access.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const l of lines(file)) {
      const o = JSON.parse(l);  // throws on any line that is not JSON
      assert.ok(o.time && o.level && typeof o.message === 'string', l);
      assert.ok(!l.includes('token=secret'), 'the query string is not logged');
    }
    assert.equal(stderr, '', 'nothing on stderr with LOG_FILE');

    // logrotate: rename, then SIGHUP. New lines go to a new file at the path.
    renameSync(file, `${file}.1`);
    process.kill(child.pid, 'SIGHUP');
    await waitUntil(() => lines(file).some((l) => /reopened/.test(JSON.parse(l).message)), { what: 'the reopened file' });
    await exchange(port, request('GET', '/after-rotate', { Connection: 'close' }));
    await waitUntil(() => lines(file).some((l) => JSON.parse(l).route === '/after-rotate'), { what: 'the access line after rotation' });
    assert.ok(!lines(`${file}.1`).some((l) => JSON.parse(l).route === '/after-rotate'));
    assert.ok(lines(`${file}.1`).some((l) => JSON.parse(l).route === '/no"such\\page'));
    assert.equal(child.exitCode, null, 'SIGHUP does not stop the server');
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LOG_FORMAT=text (the default) keeps the old pattern; a LOG_FILE that cannot be opened stops start-up naming it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-log-'));
  try {
    const file = path.join(dir, 'text.log');
    const child = start(dir, { LOG_FILE: file });
    try {
      const line = await waitUntil(() => lines(file).find((l) => /listening on/.test(l)), { what: 'the listening line' });
      assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d info solgrid listening on /);
    } finally {
      await stop(child);
    }
    const bad = start(dir, { LOG_FILE: path.join(dir, 'no-such-dir', 'x.log') });
    let err = '';
    bad.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((r) => bad.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, /LOG_FILE/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AUTH on: the access log names who asked (the session user, or a token as "name (token:…)"), and nobody when nobody did', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-log-'));
  const file = path.join(dir, 'solgrid.log');
  const child = start(dir, { LOG_FILE: file, LOG_FORMAT: 'json', LOG_LEVEL: 'debug', AUTH: 'on', ADMIN_PASSWORD: 'admin-secret-123' });
  try {
    const listening = await waitUntil(() => lines(file).map((l) => JSON.parse(l)).find((o) => /listening on/.test(o.message)),
      { what: 'the listening line in LOG_FILE' });
    const port = Number(listening.message.match(/:(\d+) \(/)[1]);
    const server = { url: `http://127.0.0.1:${port}` };
    const admin = await login(server, 'admin', 'admin-secret-123');
    assert.equal((await call(server, 'GET', '/api/relay/status?who=admin', { cookie: admin.cookie })).status, 200);
    assert.equal((await call(server, 'GET', '/api/relay/status?who=nobody')).status, 401);
    const access = await waitUntil(() => {
      const all = lines(file).map((l) => JSON.parse(l)).filter((o) => o.route === '/api/relay/status');
      return all.length === 2 ? all : null;
    }, { what: 'two access lines' });
    assert.equal(access[0].user, 'admin');
    assert.equal(access[0].status, 200);
    assert.equal(access[1].user, undefined, 'a refused anonymous request has no user');
    assert.equal(access[1].status, 401);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
});
