// Backup and restore as docs/operations.md tells operators to do it, while
// the real server keeps storing readings: SQLite's online `.backup` (the
// sqlite3 CLI) and MariaDB's `mysqldump --single-transaction`. The copy must
// be consistent — its rows a prefix of the live rows, integrity_check ok,
// the ledger's hash chain verifying — and a server started on it must serve it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, postJson, getJson, solgridBin } from './lib/server.mjs';

const execFile = promisify(execFileCb);
const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(env, dir) {
  const s = await startServer({ env, dir });
  servers.push(s);
  return s;
}

// Posts readings until stop() is called; resolves with how many were stored (201).
function keepPosting(server) {
  let running = true;
  let stored = 0;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const r = await postJson(`${server.url}/api/data/solar`, { soc: i % 101, solar_w: i, lux: 1000 + i });
      assert.equal(r.status, 201, r.text);
      stored++;
    }
    return stored;
  })();
  return { count: () => stored, stop: () => { running = false; return done; } };
}

function cli(env, cwd, ...args) {
  return execFileSync(solgridBin, args, { env: { PATH: process.env.PATH, ...env }, cwd }).toString();
}

async function waitForRows(count, atLeast) {
  for (let i = 0; i < 400 && count() < atLeast; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(count() >= atLeast, `at least ${atLeast} readings posted`);
}

test('SQLite: an online .backup under writes is consistent and a server runs on it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-backup-'));
  const db = path.join(dir, 'solgrid.db');
  const server = await start({ AUTH: 'off' }, dir);
  cli({ DB_PATH: db }, dir, 'ledger', 'adjust', 'A', '--energy-wh', '500', '--money', '1000', '--reason', 'opening');
  const writer = keepPosting(server);
  await waitForRows(writer.count, 20);
  const backup = path.join(dir, 'backup.db');
  await execFile('sqlite3', [db, `.backup '${backup}'`]);
  await waitForRows(writer.count, writer.count() + 10);  // writes go on during and after it
  const total = await writer.stop();

  const q = async (file, sql) => (await execFile('sqlite3', [file, sql])).stdout.trim();
  assert.equal(await q(backup, 'PRAGMA integrity_check'), 'ok');
  const inBackup = Number(await q(backup, 'SELECT COUNT(*) FROM sun_data_realtime'));
  const live = Number(await q(db, 'SELECT COUNT(*) FROM sun_data_realtime'));
  assert.equal(live, total);
  assert.ok(inBackup >= 20 && inBackup < live, `backup ${inBackup} of ${live}`);
  // A prefix: the backup holds exactly the first rows, unchanged.
  const rows = 'SELECT id, soc, solar_w, lux, created_at FROM sun_data_realtime ORDER BY id';
  assert.equal(await q(backup, rows), await q(db, `${rows} LIMIT ${inBackup}`));
  assert.match(cli({ DB_PATH: backup }, dir, 'ledger', 'verify'), /ok/);

  // Restore: a server started on the copy serves it.
  const restoredDir = mkdtempSync(path.join(tmpdir(), 'solgrid-restored-'));
  writeFileSync(path.join(restoredDir, 'solgrid.db'), readFileSync(backup));
  const restored = await start({ AUTH: 'off' }, restoredDir);
  const latest = await getJson(`${restored.url}/api/data/latest`);
  assert.equal(latest.status, 200);
  assert.equal(latest.json.soc, Number(await q(backup, 'SELECT soc FROM sun_data_realtime ORDER BY id DESC LIMIT 1')));
  assert.equal((await postJson(`${restored.url}/api/data/solar`, { soc: 42, solar_w: 1, lux: 2 })).status, 201);
});

const mysqlHost = process.env.SOLGRID_TEST_MYSQL_HOST;
test('MariaDB: mysqldump --single-transaction under writes restores into a database a server runs on', { skip: !mysqlHost && 'SOLGRID_TEST_MYSQL_HOST not set (make test starts MariaDB)' }, async () => {
  const conn = {
    host: mysqlHost,
    port: process.env.SOLGRID_TEST_MYSQL_PORT || '3306',
    user: process.env.SOLGRID_TEST_MYSQL_USER || 'root',
    password: process.env.SOLGRID_TEST_MYSQL_PASSWORD || '',
  };
  const args = [`--host=${conn.host}`, `--port=${conn.port}`, `--user=${conn.user}`, '--protocol=tcp'];
  const env = { ...process.env, MYSQL_PWD: conn.password };
  const name = `solgrid_backup_${process.pid}`;
  const dbEnv = (database) => ({ DB_HOST: conn.host, DB_PORT: conn.port, DB_USER: conn.user, DB_PASSWORD: conn.password, DB_DATABASE: database });
  const mysql = async (sql, database) => (await execFile('mysql', [...args, '-N', '-B', ...(database ? [database] : []), '-e', sql], { env })).stdout.trim();
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-backup-mysql-'));
    const server = await start({ AUTH: 'off', ...dbEnv(name) }, dir);
    cli(dbEnv(name), dir, 'ledger', 'adjust', 'B', '--energy-wh', '700', '--money', '0', '--reason', 'opening');
    const writer = keepPosting(server);
    await waitForRows(writer.count, 20);
    const { stdout: dump } = await execFile('mysqldump', [...args, '--single-transaction', '--routines', '--triggers', name],
      { env, maxBuffer: 64 << 20 });
    await waitForRows(writer.count, writer.count() + 10);
    const total = await writer.stop();

    await mysql(`CREATE DATABASE ${name}_r`);
    const file = path.join(dir, 'dump.sql');
    writeFileSync(file, dump);
    await execFile('sh', ['-c', `mysql ${args.join(' ')} ${name}_r < '${file}'`], { env });
    const inBackup = Number(await mysql('SELECT COUNT(*) FROM sun_data_realtime', `${name}_r`));
    assert.equal(Number(await mysql('SELECT COUNT(*) FROM sun_data_realtime', name)), total);
    assert.ok(inBackup >= 20 && inBackup < total, `backup ${inBackup} of ${total}`);
    const rows = 'SELECT id, soc, solar_w, lux, created_at FROM sun_data_realtime ORDER BY id';
    assert.equal(await mysql(rows, `${name}_r`), await mysql(`${rows} LIMIT ${inBackup}`, name));
    assert.match(cli(dbEnv(`${name}_r`), dir, 'ledger', 'verify'), /ok/);

    const restored = await start({ AUTH: 'off', ...dbEnv(`${name}_r`) });
    const latest = await getJson(`${restored.url}/api/data/latest`);
    assert.equal(latest.status, 200);
    assert.equal((await postJson(`${restored.url}/api/data/solar`, { soc: 43, solar_w: 1, lux: 2 })).status, 201);
  } finally {
    for (const s of servers.splice(0)) await s.stop();
    await mysql(`DROP DATABASE IF EXISTS ${name}`).catch(() => {});
    await mysql(`DROP DATABASE IF EXISTS ${name}_r`).catch(() => {});
  }
});
