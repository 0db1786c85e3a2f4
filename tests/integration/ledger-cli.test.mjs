// `solgrid ledger adjust|verify` through the real binary on a temporary
// SQLite file: appended adjustments verify (exit 0, one-line summary); a row
// changed, deleted or a balance edited with the sqlite3 CLI makes `ledger
// verify` exit 1 naming the entry or account; one round trip on MariaDB.
// Exit codes: 0 ok, 1 failed, 2 bad usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { solgridBin } from './lib/server.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, dropDatabase, mysqlQuery } from './lib/mariadb.mjs';

function solgrid(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(solgridBin, args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function sqlite(dbPath, sql) {
  return execFileSync('sqlite3', [dbPath, sql]).toString().trim();
}

function withLedger(fn) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-ledger-'));
    const db = path.join(dir, 'solgrid.db');
    const env = { DB_PATH: db };
    const run = (...args) => solgrid(args, env, dir);  // cwd: no .env of the repo's
    try {
      for (const [account, wh, money, why] of [['A', 1000, 50000, 'opening A'], ['B', 500, 20000, 'opening B'],
        ['A', -200, 0, 'meter correction'], ['pool', 0, 700, 'fee refund']]) {
        const r = await run('ledger', 'adjust', account, '--energy-wh', String(wh), '--money', String(money), '--reason', why);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^entry \d+ appended/);
      }
      await fn({ db, run });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('adjustments append to the chain and verify; balances and audit stored', withLedger(async ({ db, run }) => {
  const r = await run('ledger', 'verify');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const head = sqlite(db, 'SELECT hash FROM ledger_entries ORDER BY id DESC LIMIT 1');
  assert.equal(r.stdout, `ledger ok: 4 entries, 4 accounts, chain head ${head.slice(0, 16)}\n`);
  assert.equal(sqlite(db, "SELECT energy_wh || ' ' || money FROM market_accounts WHERE account = 'A'"), '800 50000');
  assert.equal(sqlite(db, "SELECT energy_wh || ' ' || money FROM market_accounts WHERE account = 'adjustment'"),
    '-1300 -70700');
  assert.equal(sqlite(db, "SELECT prev_hash FROM ledger_entries WHERE id = 1"), '0'.repeat(64));
  assert.equal(sqlite(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.adjust' AND actor = 'cli'"), '4');
}));

test('a changed posting amount is found: exit 1 naming the entry', withLedger(async ({ db, run }) => {
  sqlite(db, "UPDATE ledger_postings SET energy_wh = 5000 WHERE entry_id = 2 AND account = 'B'");
  const r = await run('ledger', 'verify');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^ledger verify failed: entry 2: contents changed/);
  assert.match(r.stdout, /account B: balance 500 Wh, money 20000 but its postings sum to 5000 Wh/);
}));

test('a changed posting account is found', withLedger(async ({ db, run }) => {
  sqlite(db, "UPDATE ledger_postings SET account = 'C' WHERE entry_id = 1 AND account = 'A'");
  const r = await run('ledger', 'verify');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ledger verify failed: entry 1: contents changed/);
}));

test('a deleted row is found, and a deleted last row by the balances', withLedger(async ({ db, run }) => {
  sqlite(db, 'DELETE FROM ledger_postings WHERE entry_id = 2; DELETE FROM ledger_entries WHERE id = 2');
  let r = await run('ledger', 'verify');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ledger verify failed: entry 3: expected id 2/);
  sqlite(db, 'DELETE FROM ledger_postings WHERE entry_id >= 3; DELETE FROM ledger_entries WHERE id >= 3');
  r = await run('ledger', 'verify');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ledger verify failed: account /);
}));

test('reordered rows break the chain', withLedger(async ({ db, run }) => {
  // Two rows swap their ids: the chain no longer links.
  sqlite(db, 'PRAGMA foreign_keys = OFF; UPDATE ledger_entries SET id = 100 WHERE id = 2;'
    + ' UPDATE ledger_entries SET id = 2 WHERE id = 3; UPDATE ledger_entries SET id = 3 WHERE id = 100;'
    + ' UPDATE ledger_postings SET entry_id = 100 WHERE entry_id = 2; UPDATE ledger_postings SET entry_id = 2 WHERE entry_id = 3;'
    + ' UPDATE ledger_postings SET entry_id = 3 WHERE entry_id = 100');
  let r = await run('ledger', 'verify');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ledger verify failed: entry 2: broken link/);
}));

test('an edited balance is named', withLedger(async ({ db, run }) => {
  sqlite(db, "UPDATE market_accounts SET money = money + 1 WHERE account = 'pool'");
  const r = await run('ledger', 'verify');
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n')[0],
    'ledger verify failed: account pool: balance 0 Wh, money 701 but its postings sum to 0 Wh, money 700');
}));

test('bad adjustments are refused as usage (exit 2) and nothing is appended', withLedger(async ({ db, run }) => {
  for (const args of [['E', '--energy-wh', '1', '--reason', 'x'], ['solar', '--energy-wh', '1', '--reason', 'x'],
    ['A', '--reason', 'nothing'], ['A', '--energy-wh', '1'], ['A', '--energy-wh', 'lots', '--reason', 'x']]) {
    const r = await run('ledger', 'adjust', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  assert.equal(sqlite(db, 'SELECT COUNT(*) FROM ledger_entries'), '4');
  assert.equal((await run('ledger', 'verify')).code, 0);
}));

test('MySQL: adjust and verify through DB_HOST; a changed amount is found', async () => {
  const server = sharedMysql();
  const database = uniqueDatabase('solgrid_ledger');
  const env = solgridEnv(server, database);
  const cwd = mkdtempSync(path.join(tmpdir(), 'solgrid-ledger-'));
  const run = (...args) => solgrid(args, env, cwd);
  try {
    for (const [account, wh] of [['C', 400], ['D', -30], ['C', 7]]) {
      const r = await run('ledger', 'adjust', account, '--energy-wh', String(wh), '--money', '10', '--reason', 'mysql');
      assert.equal(r.code, 0, r.stderr);
    }
    let r = await run('ledger', 'verify');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ledger ok: 3 entries, 3 accounts, chain head [0-9a-f]{16}\n$/);
    await mysqlQuery(server, "UPDATE ledger_postings SET money = 11 WHERE entry_id = 3 AND account = 'C'", database);
    r = await run('ledger', 'verify');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ledger verify failed: entry 3: contents changed/);
  } finally {
    await dropDatabase(server, database);
    rmSync(cwd, { recursive: true, force: true });
  }
});
