// The hourly roll-up (aggregate_old_data) runs on one instance at a time
// (issue 15, docs/run-once.md): real `solgrid serve` processes on one real
// MariaDB, and on one SQLite file. Hours of readings with old timestamps are
// written straight into the database, so the instance that holds the lease
// rolls them up in its start-up run; the other says who runs it. SIGKILL of
// the holder: with LEASE_TTL_S=5 the lease expires and the standby takes over
// with a catch-up run. SIGTERM of the holder: it releases the lease as it
// stops (the row is expired or already taken the moment it has exited).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, getJson, solgridBin } from './lib/server.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, mysqlQuery, dropDatabase, sqlRows } from './lib/mariadb.mjs';

const run = promisify(execFile);
const HOUR = 3600e3;
// Two days ago, UTC midnight: final hours, well inside the raw retention.
const DAY = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR;
const dbTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

// A reading a minute over hours [from, to) of DAY.
function insertSql(from, to) {
  const values = [];
  for (let t = DAY + from * HOUR + 5e3; t < DAY + to * HOUR; t += 60e3) values.push(`(60, 250, 30000, '${dbTime(t)}')`);
  return `INSERT INTO sun_data_realtime (soc, solar_w, lux, created_at) VALUES ${values.join(',\n')};\n`;
}

// Waits (polling, no timing asserted) until the server's output matches `re`.
async function waitForLog(server, re, what, limitMs = 60000) {
  const until = Date.now() + limitMs;
  for (;;) {
    const m = server.output().match(re);
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${what} within ${limitMs} ms; output:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const instanceOf = (server) => server.output().match(/aggregation: instance (\S+)/)?.[1];
const HOLDS = /aggregation: this instance \(\S+\) holds the lease/;
const ROLLED = /aggregate_old_data: (\d+) hour\(s\) rolled up/g;
const rolledUp = (server) => [...server.output().matchAll(ROLLED)].map((m) => Number(m[1]));

for (const kind of ['sqlite', 'mysql']) {
  describe(`run once on ${kind}`, () => {
    let dir, env, mysql, database;
    const servers = [];

    const sql = (text) => sqlRows(kind === 'mysql' ? { mysql, database } : { dbPath: env.DB_PATH }, text);
    const insert = async (from, to) => {
      const text = insertSql(from, to);
      if (kind === 'mysql') await mysqlQuery(mysql, text, database);
      else execFileSync('sqlite3', [env.DB_PATH], { input: text });
    };
    const hourlyRows = async () => Number((await sql('SELECT COUNT(*) FROM sun_data_hourly'))[0]);
    const start = async () => {
      const s = await startServer({ env, dir: mkdtempSync(path.join(dir, 'instance-')) });
      servers.push(s);
      return s;
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'solgrid-run-once-'));
      env = { LEASE_TTL_S: '5', LOG_LEVEL: 'info' };
      if (kind === 'mysql') {
        mysql = sharedMysql();
        database = uniqueDatabase();
        Object.assign(env, solgridEnv(mysql, database));
      } else {
        env.DB_PATH = path.join(dir, 'shared.db');
      }
      // Creates the schema (nothing to roll up yet), then three hours to roll up.
      await run(solgridBin, ['aggregate'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      await insert(0, 3);
    });

    after(async () => {
      for (const s of servers) await s.stop({ signal: 'SIGKILL' });
      if (mysql) await dropDatabase(mysql, database);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let holder, standby;

    test('two instances started together: one runs the roll-up, the other names it', async () => {
      const [a, b] = await Promise.all([start(), start()]);
      await Promise.all([a, b].map((s) => waitForLog(s, /aggregation: this instance \(\S+\) holds the lease|aggregation runs on \S+/, 'lease decision')));
      const leaders = [a, b].filter((s) => HOLDS.test(s.output()));
      assert.equal(leaders.length, 1, `exactly one holder:\n--- a\n${a.output()}\n--- b\n${b.output()}`);
      [holder] = leaders;
      standby = holder === a ? b : a;
      const id = instanceOf(holder);
      assert.ok(id && id.includes(`:${holder.child.pid}:`), holder.output());
      await waitForLog(standby, new RegExp(`aggregation runs on ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `), 'standby naming the holder');
      await waitForLog(holder, /aggregate_old_data: 3 hour\(s\) rolled up/, 'the roll-up');
      assert.deepEqual(rolledUp(standby), [], standby.output());
      assert.doesNotMatch(standby.output(), HOLDS);
      assert.equal(await hourlyRows(), 3);

      const [h, s] = await Promise.all([getJson(`${holder.url}/healthz`), getJson(`${standby.url}/healthz`)]);
      // Open to anyone, so only whether (the ids name the host and pid: they are in the log).
      assert.deepEqual(h.json.aggregation, { leader: true });
      assert.deepEqual(s.json.aggregation, { leader: false });
    });

    test('SIGKILL of the holder: its lease expires and the standby takes over with a catch-up run', async () => {
      await insert(3, 5);  // two more hours, rolled up by nobody yet
      await holder.stop({ signal: 'SIGKILL' });
      await waitForLog(standby, HOLDS, 'takeover');
      await waitForLog(standby, /aggregate_old_data: 2 hour\(s\) rolled up/, 'the catch-up run');
      assert.equal(await hourlyRows(), 5);
      assert.equal((await getJson(`${standby.url}/healthz`)).json.aggregation.leader, true);
      holder = standby;
    });

    test('SIGTERM of the holder releases the lease as it stops; the other takes it', async () => {
      standby = await start();
      const id = instanceOf(holder);
      await waitForLog(standby, /aggregation runs on (\S+) /, 'standby');
      assert.equal(standby.output().match(/aggregation runs on (\S+) /)[1], id);
      await insert(5, 6);
      assert.equal(await holder.stop({ signal: 'SIGTERM' }), 0);
      assert.match(holder.output(), /aggregation: this instance \(\S+\) released the lease/);
      // Right after it exited: released (expired) already, or taken by the standby.
      const now = kind === 'mysql' ? 'UTC_TIMESTAMP(3)' : "strftime('%Y-%m-%d %H:%M:%f', 'now')";
      const [row] = await sql(`SELECT holder, CASE WHEN expires_at < ${now} THEN 'expired' ELSE 'valid' END FROM leases WHERE name = 'aggregation'`);
      const [who, state] = row.split('|');
      assert.ok((who === id && state === 'expired') || (who === instanceOf(standby) && state === 'valid'), row);
      await waitForLog(standby, HOLDS, 'takeover');
      await waitForLog(standby, /aggregate_old_data: 1 hour\(s\) rolled up/, 'the catch-up run');
      assert.equal(await hourlyRows(), 6);
    });
  });
}
