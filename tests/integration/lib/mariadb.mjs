// MariaDB for the integration tests: the shared throw-away server that
// `make test` starts (coordinates in SOLGRID_TEST_MYSQL_*), or a private one
// a test starts, stops and restarts itself (scripts/mariadb-test-server).
// A test that needs MySQL and finds no server FAILS with the reason.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './server.mjs';

const run = promisify(execFile);
const script = path.join(repoRoot, 'scripts/mariadb-test-server');

function parseEnv(text) {
  const vars = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^export (SOLGRID_TEST_MYSQL_\w+)=(.*)$/);
    if (m) vars[m[1]] = m[2];
  }
  return {
    host: vars.SOLGRID_TEST_MYSQL_HOST,
    port: Number(vars.SOLGRID_TEST_MYSQL_PORT),
    user: vars.SOLGRID_TEST_MYSQL_USER,
    password: vars.SOLGRID_TEST_MYSQL_PASSWORD,
    dir: vars.SOLGRID_TEST_MYSQL_DIR,
  };
}

// The shared server's coordinates; throws (the test fails) when absent.
export function sharedMysql() {
  const e = process.env;
  if (!e.SOLGRID_TEST_MYSQL_HOST) {
    throw new Error('SOLGRID_TEST_MYSQL_HOST is not set: this test needs MariaDB. Run `make test`, or '
      + '`eval "$(scripts/mariadb-test-server start)"` first (and stop it afterwards).');
  }
  return {
    host: e.SOLGRID_TEST_MYSQL_HOST,
    port: Number(e.SOLGRID_TEST_MYSQL_PORT || 3306),
    user: e.SOLGRID_TEST_MYSQL_USER || 'root',
    password: e.SOLGRID_TEST_MYSQL_PASSWORD || '',
  };
}

export function uniqueDatabase(prefix = 'solgrid_it') {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

// The environment that points solgrid at `database` on `server`.
export function solgridEnv(server, database) {
  return {
    DB_HOST: server.host,
    DB_PORT: String(server.port),
    DB_USER: server.user,
    DB_PASSWORD: server.password,
    DB_DATABASE: database,
  };
}

// Runs SQL with the mariadb client; returns the rows as arrays of strings.
export async function mysqlQuery(server, sql, database) {
  const args = ['--no-defaults', '-h', server.host, '-P', String(server.port), '-u', server.user,
    `-p${server.password}`, '-N', '-B', '-e', sql];
  if (database) args.push(database);
  const { stdout } = await run('mariadb', args, { maxBuffer: 64 << 20 });
  return stdout.split('\n').filter((l) => l.length).map((l) => l.split('\t'));
}

export async function dropDatabase(server, database) {
  await mysqlQuery(server, `DROP DATABASE IF EXISTS \`${database}\``);
}

// A private server for tests that stop and restart it.
export async function startOwnMariadb() {
  const { stdout } = await run(script, ['start'], { maxBuffer: 1 << 20 });
  const server = parseEnv(stdout);
  if (!server.dir || !server.port) throw new Error(`mariadb-test-server printed no coordinates:\n${stdout}`);
  return {
    ...server,
    // Stops mariadbd by PID; keeps the data so start() brings it back.
    async stop() { await run(script, ['stop', server.dir, '--keep']); },
    async start() { await run(script, ['start', server.dir]); },
    // Stops it for good and deletes its directory.
    destroy() { execFileSync(script, ['stop', server.dir]); },
  };
}

// Rows of `text` as 'a|b|c' strings, on MariaDB (`mysql` and `database`
// given) or on a SQLite file (`dbPath`, through the sqlite3 shell): for
// tests that run the same checks on both backends.
export async function sqlRows({ mysql, database, dbPath }, text) {
  if (mysql) return (await mysqlQuery(mysql, text, database)).map((r) => r.join('|'));
  const { stdout } = await promisify(execFile)('sqlite3', [dbPath, text]);
  return stdout.split('\n').filter((l) => l.length);
}
