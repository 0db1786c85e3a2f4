// The seed's set-up on MySQL: a .env with DB_HOST, DB_USER, DB_PASSWORD and
// DB_DATABASE (plus DB_PORT: the test server is not on 3306); `solgrid serve`
// creates the seed's tables and the seed's curl commands work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer } from './lib/server.mjs';
import { sharedMysql, uniqueDatabase, mysqlQuery, dropDatabase } from './lib/mariadb.mjs';

const run = promisify(execFile);
let mysql, database, dir, server;

before(async () => {
  mysql = sharedMysql();
  database = uniqueDatabase('solar_ess');
  dir = mkdtempSync(path.join(tmpdir(), 'solgrid-seed-'));
  writeFileSync(path.join(dir, '.env'), [
    `DB_HOST=${mysql.host}`,
    `DB_PORT=${mysql.port}`,
    `DB_USER=${mysql.user}`,
    `DB_PASSWORD=${mysql.password}`,
    `DB_DATABASE=${database}`,
    'ARDUINO_URL=',
    '',
  ].join('\n'));
  server = await startServer({ dir });
});

after(async () => {
  await server?.stop();
  if (database) await dropDatabase(mysql, database);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("serve creates the seed's tables in MySQL and the seed's curl commands work", async () => {
  const tables = (await mysqlQuery(mysql, 'SHOW TABLES', database)).map((r) => r[0]);
  for (const t of ['sun_data_realtime', 'relay_status', 'trade_history', 'sun_data_hourly']) {
    assert.ok(tables.includes(t), `table ${t} in ${tables}`);
  }
  const health = await (await fetch(`${server.url}/healthz`)).json();
  assert.equal(health.database.kind, 'mysql');

  const post = await run('curl', ['-s', '-w', '\n%{http_code}', '-X', 'POST', `${server.url}/api/data/solar`,
    '-H', 'Content-Type: application/json', '-d', '{"soc": 85, "solar_w": 120, "lux": 35000}']);
  const [body, code] = post.stdout.split('\n');
  assert.equal(code, '201', body);
  assert.equal(JSON.parse(body).success, true);

  const relay = await run('curl', ['-s', '-w', '\n%{http_code}', '-X', 'POST', `${server.url}/api/relay/update`,
    '-H', 'Content-Type: application/json', '-d', '{"A": true, "B": false, "C": false, "D": false}']);
  assert.equal(relay.stdout.split('\n')[1], '200', relay.stdout);

  const latest = JSON.parse((await run('curl', ['-s', `${server.url}/api/data/latest`])).stdout);
  assert.deepEqual([latest.soc, latest.solar_w, latest.lux], [85, 120, 35000]);
  const status = JSON.parse((await run('curl', ['-s', `${server.url}/api/relay/status`])).stdout);
  assert.equal(status.A, true);

  const rows = await mysqlQuery(mysql, 'SELECT soc, solar_w, lux, created_at FROM sun_data_realtime', database);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].slice(0, 3).map(Number), [85, 120, 35000]);
  assert.match(rows[0][3], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);  // DATETIME(3), UTC
  assert.equal(new Date(rows[0][3].replace(' ', 'T') + 'Z').toISOString(), latest.timestamp);
  const relays = await mysqlQuery(mysql, 'SELECT A, B, C, D FROM relay_status ORDER BY id DESC LIMIT 1', database);
  assert.deepEqual(relays[0].map(Number), [1, 0, 0, 0]);
});
