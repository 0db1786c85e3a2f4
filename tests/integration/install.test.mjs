// The install layout (issue 14 item 1): `cmake --install` (what `make install`
// runs) puts the binary, the built dashboard, .env.example and the systemd unit
// under the prefix, and the installed binary started from an unrelated working
// directory serves the dashboard at / without FRONTEND_DIR (which still wins).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, solgridBin, waitForListening } from './lib/server.mjs';

const buildDir = path.dirname(solgridBin);
const dist = path.join(repoRoot, 'frontend/dist');
let prefix;

function install(args, env = {}) {
  execFileSync('cmake', ['--install', buildDir, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
}

// Starts an installed binary with `cwd` as its working directory (no .env,
// no frontend/dist there); resolves with its URL and a stop().
async function startInstalled(bin, cwd, env = {}) {
  const child = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd,
    env: { PATH: process.env.PATH, DB_PATH: path.join(cwd, 'solgrid.db'), AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { boundPort, output } = await waitForListening(child, 'installed solgrid');
  return {
    url: `http://127.0.0.1:${boundPort}`,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

before(() => {
  assert.ok(existsSync(path.join(dist, 'index.html')), 'frontend/dist is built (make frontend)');
  prefix = mkdtempSync(path.join(tmpdir(), 'solgrid-prefix-'));
  install(['--prefix', prefix]);
});
after(() => { if (prefix) rmSync(prefix, { recursive: true, force: true }); });

test('the prefix holds the binary, the dashboard, .env.example and the unit', () => {
  const bin = path.join(prefix, 'bin/solgrid');
  assert.ok(statSync(bin).mode & 0o111, 'bin/solgrid is executable');
  assert.deepEqual(readFileSync(path.join(prefix, 'share/solgrid/www/index.html')), readFileSync(path.join(dist, 'index.html')));
  assert.ok(existsSync(path.join(prefix, 'share/solgrid/www/assets')));
  assert.deepEqual(readFileSync(path.join(prefix, 'share/solgrid/.env.example')), readFileSync(path.join(repoRoot, '.env.example')));
  for (const site of ['nginx.conf', 'nginx-cluster.conf'])
    assert.deepEqual(readFileSync(path.join(prefix, 'share/solgrid', site)), readFileSync(path.join(repoRoot, 'deploy', site)));
  const unit = readFileSync(path.join(prefix, 'lib/systemd/system/solgrid.service'), 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} serve$`, 'm'));
  assert.match(unit, /^Type=notify$/m);
});

test('DESTDIR stages the tree; the unit names the final prefix', () => {
  const stage = mkdtempSync(path.join(tmpdir(), 'solgrid-destdir-'));
  try {
    install(['--prefix', '/usr/local'], { DESTDIR: stage });
    assert.ok(existsSync(path.join(stage, 'usr/local/bin/solgrid')));
    assert.ok(existsSync(path.join(stage, 'usr/local/share/solgrid/www/index.html')));
    const unit = readFileSync(path.join(stage, 'usr/local/lib/systemd/system/solgrid.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/solgrid serve$/m);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});

test('the installed binary serves its dashboard from any working directory', async () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'solgrid-cwd-'));
  const server = await startInstalled(path.join(prefix, 'bin/solgrid'), elsewhere);
  try {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200, server.output());
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.equal(await res.text(), readFileSync(path.join(dist, 'index.html'), 'utf8'));
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('FRONTEND_DIR still wins over the installed dashboard', async () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'solgrid-cwd-'));
  const mine = path.join(elsewhere, 'site');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'index.html'), '<!doctype html><title>mine</title>\n');
  const server = await startInstalled(path.join(prefix, 'bin/solgrid'), elsewhere, { FRONTEND_DIR: mine });
  try {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<!doctype html><title>mine</title>\n');
  } finally {
    assert.equal(await server.stop(), 0);
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
