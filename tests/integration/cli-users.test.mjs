// `solgrid user|device|token` through the real binary on a temporary SQLite
// file (and one round trip on MariaDB), and the first admin `serve` creates
// with AUTH=on. Exit codes: 0 done, 1 failed, 2 bad usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { solgridBin, startServer } from './lib/server.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, dropDatabase, mysqlQuery } from './lib/mariadb.mjs';

const TOKEN = /^(sgd|sgu)_[A-Za-z0-9_-]{43}$/;

function tempDir() {
  return mkdtempSync(path.join(tmpdir(), 'solgrid-cli-'));
}

// Runs `solgrid ARGS` with `input` on stdin; resolves with its exit code and output.
function solgrid(args, { env = {}, input = '', cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(solgridBin, args, {
      cwd,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});  // it may exit before reading
    child.stdin.end(input);
  });
}

function sqlite(dbPath, sql) {
  return execFileSync('sqlite3', [dbPath, sql]).toString().trim();
}

function lastLine(text) {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

function withDb(fn) {
  return async () => {
    const dir = tempDir();
    const env = { DB_PATH: path.join(dir, 'solgrid.db') };
    try {
      await fn({ dir, env, run: (args, opts = {}) => solgrid(args, { env, cwd: dir, ...opts }) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('user add, list, passwd and remove; every change audited; no secret printed', withDb(async ({ env, run }) => {
  const pw = 'correct horse battery';
  let r = await run(['user', 'add', 'alice', '--role', 'admin', '--password-stdin'], { input: `${pw}\n` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /user alice added/);
  r = await run(['user', 'add', 'bob', '--role', 'household', '--household', 'B', '--password-stdin'],
    { input: 'bobs password' });  // no newline at the end: fine too
  assert.equal(r.code, 0, r.stderr);

  r = await run(['user', 'list']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^USERNAME\s+ROLE\s+HOUSEHOLD\s+CREATED$/);
  assert.match(lines[1], /^alice\s+admin\s+-\s+\d{4}-\d\d-\d\dT/);
  assert.match(lines[2], /^bob\s+household\s+B\s+\d{4}-/);
  // Aligned: every column starts at the same offset on every line.
  assert.equal(lines[1].indexOf('admin'), lines[0].indexOf('ROLE'));
  assert.equal(lines[2].indexOf('household'), lines[0].indexOf('ROLE'));

  const hashBefore = sqlite(env.DB_PATH, "SELECT password_hash FROM users WHERE username = 'alice'");
  assert.match(hashBefore, /^\$argon2id\$/);
  r = await run(['user', 'passwd', 'alice', '--password-stdin'], { input: 'another password\n' });
  assert.equal(r.code, 0, r.stderr);
  const hashAfter = sqlite(env.DB_PATH, "SELECT password_hash FROM users WHERE username = 'alice'");
  assert.notEqual(hashAfter, hashBefore);

  r = await run(['user', 'passwd', 'nobody', '--password-stdin'], { input: 'another password\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such user: nobody/);

  r = await run(['user', 'add', 'alice', '--role', 'viewer', '--password-stdin'], { input: 'whatever123\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /username taken/);

  r = await run(['user', 'remove', 'alice']);  // the last admin
  assert.equal(r.code, 1);
  assert.match(r.stderr, /last admin/);
  r = await run(['user', 'remove', 'bob']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['user', 'remove', 'bob']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such user: bob/);
  r = await run(['user', 'list']);
  assert.doesNotMatch(r.stdout, /\bbob\b/);
  assert.doesNotMatch(r.stdout, /argon2/);

  const audit = sqlite(env.DB_PATH, "SELECT actor || ' ' || address || '|' || action || ' ' || target || ' ' || outcome"
    + ' FROM audit_log ORDER BY id').split('\n');
  assert.deepEqual(audit, [
    'cli |user.add alice ok', 'cli |user.add bob ok', 'cli |user.passwd alice ok', 'cli |user.passwd nobody failed',
    'cli |user.add alice failed', 'cli |user.remove alice failed', 'cli |user.remove bob ok',
    'cli |user.remove bob failed',
  ]);
  const everything = execFileSync('sqlite3', [env.DB_PATH, '.dump']).toString();
  assert.ok(!everything.includes(pw) && !everything.includes('another password'), 'a password was stored in the clear');
}));

test('bad usage exits 2 with a message naming the problem, and changes nothing', withDb(async ({ env, run }) => {
  const cases = [
    [['user', 'add', 'carol', '--role', 'king', '--password-stdin'], 'goodpassword\n', /unknown role 'king'/],
    [['user', 'add', 'carol', '--role', 'household', '--password-stdin'], 'goodpassword\n', /needs --household/],
    [['user', 'add', 'carol', '--role', 'household', '--household', 'E', '--password-stdin'], 'goodpassword\n',
      /invalid household 'E'/],
    [['user', 'add', 'carol', '--role', 'viewer', '--household', 'A', '--password-stdin'], 'goodpassword\n',
      /only for role household/],
    [['user', 'add', 'carol', '--role', 'viewer', '--password-stdin'], 'short\n', /password too short/],
    [['user', 'add', 'carol', '--role', 'viewer', '--password-stdin'], `${'x'.repeat(1025)}\n`, /password too long/],
    [['user', 'add', 'carol', '--role', 'viewer', '--password-stdin'], '', /no password on stdin/],
    [['user', 'add', 'carol', '--role', 'viewer'], 'goodpassword\n', /--password-stdin/],
    [['user', 'add', 'bad name', '--role', 'viewer', '--password-stdin'], 'goodpassword\n', /invalid user name/],
    [['user', 'add', 'x'.repeat(65), '--role', 'viewer', '--password-stdin'], 'goodpassword\n', /invalid user name/],
    [['user', 'add', '--role', 'viewer', '--password-stdin'], 'goodpassword\n', /name/],  // CLI11: missing NAME
    [['user', 'frobnicate'], '', /frobnicate|subcommand/],
    [['device', 'add', 'roof/1'], '', /invalid device name/],
  ];
  for (const [args, input, message] of cases) {
    const r = await run(args, { input });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr + r.stdout, message, args.join(' '));
    assert.ok(!(r.stdout + r.stderr).includes('goodpassword'), 'a password was echoed');
  }
  const r = await run(['user', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n').length, 1);  // the header alone
  // A 1024-character password is the longest accepted; 8 the shortest.
  assert.equal((await run(['user', 'add', 'long', '--role', 'viewer', '--password-stdin'],
    { input: `${'y'.repeat(1024)}\n` })).code, 0);
  assert.equal((await run(['user', 'add', 'short', '--role', 'viewer', '--password-stdin'],
    { input: '12345678\n' })).code, 0);
  assert.equal(sqlite(env.DB_PATH, 'SELECT COUNT(*) FROM users'), '2');
}));

test('device add prints its token once; list never shows it; revoke; add again', withDb(async ({ env, run }) => {
  let r = await run(['device', 'add', 'roof-sensor']);
  assert.equal(r.code, 0, r.stderr);
  const token = lastLine(r.stdout);
  assert.match(token, TOKEN);
  assert.ok(token.startsWith('sgd_') && token.length === 47);
  assert.equal(r.stdout.split(token).length, 2, 'the token is printed exactly once');
  assert.ok(!r.stderr.includes(token));
  // Stored only as its SHA-256.
  const stored = sqlite(env.DB_PATH, "SELECT token_hash FROM api_tokens WHERE name = 'roof-sensor'");
  assert.match(stored, /^[0-9a-f]{64}$/);
  assert.ok(!execFileSync('sqlite3', [env.DB_PATH, '.dump']).toString().includes(token));

  r = await run(['device', 'add', 'roof-sensor']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /an active token named roof-sensor exists/);

  r = await run(['device', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NAME\s+CREATED\s+LAST USED\s+REVOKED\n/);
  assert.match(r.stdout, /roof-sensor\s+\d{4}-\S+\s+-\s+-\n/);
  assert.ok(!r.stdout.includes(token) && !r.stdout.includes(stored));

  r = await run(['device', 'revoke', 'roof-sensor']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['device', 'revoke', 'roof-sensor']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no active device named roof-sensor/);

  r = await run(['device', 'add', 'roof-sensor']);
  assert.equal(r.code, 0, r.stderr);
  const second = lastLine(r.stdout);
  assert.match(second, TOKEN);
  assert.notEqual(second, token);
  r = await run(['device', 'list']);
  const rows = r.stdout.trimEnd().split('\n').slice(1);
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^roof-sensor\s+\S+\s+-\s+\d{4}-/);  // the revoked one
  assert.match(rows[1], /^roof-sensor\s+\S+\s+-\s+-$/);
  assert.deepEqual(sqlite(env.DB_PATH, "SELECT action || ' ' || outcome FROM audit_log ORDER BY id").split('\n'),
    ['device.add ok', 'device.add failed', 'device.revoke ok', 'device.revoke failed', 'device.add ok']);
}));

test('token add acts as a user; revoked with its user; list never shows it', withDb(async ({ env, run }) => {
  assert.equal((await run(['user', 'add', 'dora', '--role', 'operator', '--password-stdin'],
    { input: 'dora password\n' })).code, 0);
  let r = await run(['token', 'add', 'dora']);
  assert.equal(r.code, 0, r.stderr);
  const token = lastLine(r.stdout);
  assert.match(token, TOKEN);
  assert.ok(token.startsWith('sgu_'));
  assert.match(r.stdout, /acting as dora \(role operator\)/);
  r = await run(['token', 'add', 'dora']);  // the default name (the user's) is taken now
  assert.equal(r.code, 1);
  assert.match(r.stderr, /an active token named dora exists/);
  r = await run(['token', 'add', 'dora', '--name', 'dora-backup']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['token', 'add', 'nobody']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no such user: nobody/);

  r = await run(['token', 'list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NAME\s+USER\s+CREATED\s+LAST USED\s+REVOKED\n/);
  assert.match(r.stdout, /\ndora\s+dora\s+\S+\s+-\s+-\n/);
  assert.match(r.stdout, /\ndora-backup\s+dora\s+/);
  assert.ok(!r.stdout.includes(token));

  r = await run(['token', 'revoke', 'dora-backup']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['user', 'remove', 'dora']);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['token', 'list']);
  const rows = r.stdout.trimEnd().split('\n').slice(1);
  assert.equal(rows.length, 2);
  for (const row of rows) assert.match(row, /\(removed\)\s+\S+\s+-\s+\d{4}-/);  // revoked with its user
  assert.equal(sqlite(env.DB_PATH, 'SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL'), '0');
}));

test('serve with AUTH=on creates admin with a random password printed once', async () => {
  const dir = tempDir();
  try {
    const first = await startServer({ dir, env: { AUTH: 'on' } });
    await first.stop({ keepDir: true });
    const m = first.output().match(/solgrid: created user admin with password (\S+) /);
    assert.ok(m, first.output());
    assert.equal(m[1].length, 24);  // 18 random bytes
    assert.equal(first.output().split(m[1]).length, 2, 'printed exactly once');
    const second = await startServer({ dir, env: { AUTH: 'on' } });
    await second.stop({ keepDir: true });
    assert.doesNotMatch(second.output(), /created user admin/);
    assert.ok(!second.output().includes(m[1]));
    const dbPath = path.join(dir, 'solgrid.db');
    assert.equal(sqlite(dbPath, "SELECT username || ' ' || role FROM users"), 'admin admin');
    assert.equal(sqlite(dbPath, "SELECT actor || ' ' || action || ' ' || target FROM audit_log"),
      'system user.add admin');
    const r = await solgrid(['user', 'list'], { env: { DB_PATH: dbPath }, cwd: dir });
    assert.match(r.stdout, /\nadmin\s+admin\s+-/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve with AUTH=on and ADMIN_PASSWORD never prints it; AUTH=off creates nobody', async () => {
  const dir = tempDir();
  try {
    const off = await startServer({ dir, env: { AUTH: 'off' } });
    await off.stop({ keepDir: true });
    assert.equal(sqlite(path.join(dir, 'solgrid.db'), 'SELECT COUNT(*) FROM users'), '0');
    const secret = 'Sup3r-secret-admin-pw';
    const on = await startServer({ dir, env: { AUTH: 'on', ADMIN_PASSWORD: secret } });
    await on.stop({ keepDir: true });
    assert.ok(!on.output().includes(secret), on.output());
    assert.match(on.output(), /created user admin with the password from ADMIN_PASSWORD/);
    assert.equal(sqlite(path.join(dir, 'solgrid.db'), "SELECT role FROM users WHERE username = 'admin'"), 'admin');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MySQL: user add, device add and list through DB_HOST', async () => {
  const server = sharedMysql();
  const database = uniqueDatabase('solgrid_cli');
  const env = solgridEnv(server, database);
  const cwd = tempDir();  // no .env of the repo's
  try {
    let r = await solgrid(['user', 'add', 'erin', '--role', 'household', '--household', 'D', '--password-stdin'],
      { env, cwd, input: 'erin password\n' });
    assert.equal(r.code, 0, r.stderr);
    r = await solgrid(['user', 'add', 'erin', '--role', 'viewer', '--password-stdin'], { env, cwd, input: 'erin password\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /username taken/);
    r = await solgrid(['device', 'add', 'meter'], { env, cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(lastLine(r.stdout), TOKEN);
    r = await solgrid(['user', 'list'], { env, cwd });
    assert.match(r.stdout, /\nerin\s+household\s+D\s+/);
    r = await solgrid(['device', 'list'], { env, cwd });
    assert.match(r.stdout, /\nmeter\s+\S+\s+-\s+-\n/);
    const rows = await mysqlQuery(server, 'SELECT action, outcome FROM audit_log ORDER BY id', database);
    assert.deepEqual(rows, [['user.add', 'ok'], ['user.add', 'failed'], ['device.add', 'ok']]);
  } finally {
    await dropDatabase(server, database);
    rmSync(cwd, { recursive: true, force: true });
  }
});
