// The database goes away and comes back: the test's own MariaDB is stopped
// (by PID) and restarted under a running solgrid. While it is down, sensor
// POSTs answer 503 and are not stored, everything else keeps answering and
// /healthz says so; afterwards solgrid recovers by itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { startOwnMariadb, solgridEnv, mysqlQuery } from './lib/mariadb.mjs';

let db, server;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

before(async () => {
  db = await startOwnMariadb();
  server = await startServer({ env: solgridEnv(db, 'solar_ess') });
});

after(async () => {
  await server?.stop();
  db?.destroy();
});

test('503 while MariaDB is down, never 201 for a lost reading; recovery without a restart', async () => {
  const stored = [];
  const first = await postJson(`${server.url}/api/data/solar`, { soc: 70, solar_w: 10, lux: 100 });
  assert.equal(first.status, 201, first.text);
  stored.push(first.json.data.id);
  const healthy = await getJson(`${server.url}/healthz`);
  assert.equal(healthy.status, 200);
  assert.equal(healthy.json.database.kind, 'mysql');
  assert.equal(healthy.json.database.ok, true);

  await db.stop();

  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const r = await postJson(`${server.url}/api/data/solar`, { soc: 71 + i, solar_w: 11, lux: 101 });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.success, false);
    assert.match(r.json.error, /database unavailable/);
    assert.ok(Date.now() - t0 < 3000, 'fails fast');
  }
  // Everything else keeps answering.
  const latest = await getJson(`${server.url}/api/data/latest`);
  assert.equal(latest.status, 200);
  assert.equal(latest.json.soc, 70);
  assert.equal((await getJson(`${server.url}/api/relay/status`)).status, 200);
  const history = await getJson(`${server.url}/api/data/history`);
  assert.equal(history.status, 503);
  assert.equal(history.json.success, false);
  const down = await until('healthz to report the database down', async () => {
    const h = await getJson(`${server.url}/healthz`);
    return h.status === 503 && h.json.database.ok === false ? h : null;
  }, 10000);
  assert.equal(down.json.status, 'degraded');
  const notReady = await getJson(`${server.url}/readyz`);
  assert.equal(notReady.status, 503, notReady.text);
  assert.deepEqual(notReady.json.not_ready, ['database']);

  await db.start();

  await until('healthz to report the database up again', async () => {
    const h = await getJson(`${server.url}/healthz`);
    return h.status === 200 && h.json.database.ok === true;
  });
  const ready = await getJson(`${server.url}/readyz`);
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.json.ready, true);
  const again = await until('a POST to be stored again', async () => {
    const r = await postJson(`${server.url}/api/data/solar`, { soc: 80, solar_w: 12, lux: 102 });
    assert.ok(r.status === 201 || r.status === 503, r.text);
    return r.status === 201 ? r : null;
  });
  stored.push(again.json.data.id);
  const history2 = await getJson(`${server.url}/api/data/history`);
  assert.equal(history2.status, 200, history2.text);

  // Exactly the readings answered 201 are in the table.
  const rows = await mysqlQuery(db, 'SELECT id, soc FROM sun_data_realtime ORDER BY id', 'solar_ess');
  assert.deepEqual(rows.map((r) => Number(r[0])), stored);
  assert.deepEqual(rows.map((r) => Number(r[1])), [70, 80]);
});
