// The SQLite file removed or replaced under a running solgrid (issue 11, A2):
// every following sensor POST must answer 503, never 201 for a reading that
// goes into a deleted file, and /healthz must say so and why, until restart.
// Normal neighbours -- the sqlite3 CLI reading the file, a checkpoint,
// `solgrid aggregate` -- must not trip that check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, postJson, getJson, solgridBin } from './lib/server.mjs';

const run = promisify(execFile);
const reading = (soc) => ({ soc, solar_w: 100, lux: 1000 });

async function sqlite(db, sql) {
  const { stdout } = await run('sqlite3', [db, sql]);
  return stdout.trim();
}

async function expectLost(server, which) {
  const r = await postJson(`${server.url}/api/data/solar`, reading(61));
  assert.equal(r.status, 503, r.text);
  assert.equal(r.json.success, false);
  const h = await getJson(`${server.url}/healthz`);
  assert.equal(h.status, 503, h.text);
  assert.equal(h.json.status, 'degraded');
  assert.equal(h.json.database.kind, 'sqlite');
  assert.equal(h.json.database.ok, false);
  assert.match(h.json.database.problem, which);
  assert.match(h.json.database.problem, /replaced or removed while open/);
  // Not ready for traffic either (a load balancer takes it out), and the
  // metrics say the database is down.
  const ready = await getJson(`${server.url}/readyz`);
  assert.equal(ready.status, 503, ready.text);
  assert.equal(ready.json.ready, false);
  assert.deepEqual(ready.json.not_ready, ['database']);
  assert.match(ready.json.database.problem, /replaced or removed while open/);
  const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /^solgrid_db_up 0$/m);
  assert.match(metrics, /^solgrid_db_writes_total\{result="failed"\} [1-9]/m);
  // It stays failed: no later POST is reported stored.
  const again = await postJson(`${server.url}/api/data/solar`, reading(62));
  assert.equal(again.status, 503, again.text);
  assert.match(server.output(), /error DATABASE LOST: .*replaced or removed while open/);
}

test('the WAL deleted under the server: 503 and /healthz names it', async () => {
  const server = await startServer();
  try {
    const db = path.join(server.dir, 'solgrid.db');
    const first = await postJson(`${server.url}/api/data/solar`, reading(50));
    assert.equal(first.status, 201, first.text);
    assert.ok(existsSync(`${db}-wal`));
    rmSync(`${db}-wal`);
    await expectLost(server, /write-ahead log .*solgrid\.db-wal/);
  } finally {
    await server.stop();
  }
});

test('the database file replaced by a copy: 503 and /healthz names it', async () => {
  const server = await startServer();
  try {
    const db = path.join(server.dir, 'solgrid.db');
    const first = await postJson(`${server.url}/api/data/solar`, reading(50));
    assert.equal(first.status, 201, first.text);
    // A restore from a backup: copy aside, remove the original and its WAL, copy back.
    copyFileSync(db, `${db}.bak`);
    rmSync(db);
    rmSync(`${db}-wal`, { force: true });
    copyFileSync(`${db}.bak`, db);
    await expectLost(server, /database file .*solgrid\.db /);
  } finally {
    await server.stop();
  }
});

test('sqlite3 and solgrid aggregate beside the server do not trip the check', async () => {
  const server = await startServer();
  try {
    const db = path.join(server.dir, 'solgrid.db');
    const ids = [];
    const post = async (soc) => {
      const r = await postJson(`${server.url}/api/data/solar`, reading(soc));
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.data.id);
    };
    await post(50);
    assert.equal(await sqlite(db, 'select count(*) from sun_data_realtime'), '1');
    await post(51);
    await sqlite(db, 'PRAGMA wal_checkpoint(TRUNCATE)');
    await post(52);
    await run(solgridBin, ['aggregate'], { cwd: server.dir, env: { PATH: process.env.PATH, DB_PATH: db } });
    await post(53);
    assert.equal(await sqlite(db, 'select count(*) from sun_data_realtime'), '4');
    const h = await getJson(`${server.url}/healthz`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.json.database.ok, true);
    assert.equal(h.json.database.problem, undefined);
    assert.doesNotMatch(server.output(), /DATABASE LOST/);
    assert.equal(new Set(ids).size, 4);
  } finally {
    await server.stop();
  }
});
