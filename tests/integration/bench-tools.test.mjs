// The benchmark tools still measure what they claim: build/sio-bench against
// the real binary (paced, flat out, idle) and against build/floor-server, at a
// small scale. Figures are not judged here (bench/ does that); counts are:
// every stored reading reaches every client, and the POSTs match the rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startServer, waitForListening } from './lib/server.mjs';

const run = promisify(execFile);
const bench = path.join(repoRoot, 'build/sio-bench');
const floor = path.join(repoRoot, 'build/floor-server');

async function sioBench(port, pid, args) {
  try {
    const { stdout } = await run(bench, ['--port', String(port), '--pid', String(pid), '--settle', '0.3', ...args],
      { timeout: 60000 });
    return { code: 0, stdout };
  } catch (e) {
    return { code: e.code, stdout: e.stdout || '', stderr: e.stderr || '' };
  }
}

function counts(stdout) {
  const m = stdout.match(/posts: (\d+) stored .*delivered (\d+) of (\d+) expected/);
  assert.ok(m, `no delivery line in:\n${stdout}`);
  return { posted: Number(m[1]), delivered: Number(m[2]), expected: Number(m[3]) };
}

function checkFigures(stdout) {
  assert.match(stdout, /clients connected: 40 of 40 \(failed 0\)/);
  assert.match(stdout, /POST->receive latency: p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(stdout, /server CPU: [\d.]+ s over [\d.]+ s = [\d.]+ us per delivered message/);
  assert.match(stdout, /load generator CPU: [\d.]+ s = [\d.]+ us per delivered message/);
}

test('sio-bench against solgrid: paced, every reading to every client', async () => {
  const server = await startServer();
  try {
    const r = await sioBench(server.port, server.child.pid, ['--clients', '40', '--rate', '40', '--duration', '1']);
    assert.equal(r.code, 0, r.stdout + (r.stderr || ''));
    checkFigures(r.stdout);
    const c = counts(r.stdout);
    assert.ok(c.posted >= 38 && c.posted <= 41, `40 POSTs/s for 1 s, got ${c.posted}`);
    assert.equal(c.expected, c.posted * 40);
    assert.equal(c.delivered, c.expected);
    // The server agrees: the newest stored reading carries the last sequence number.
    const latest = await (await fetch(`${server.url}/api/data/latest`)).json();
    assert.equal(latest.lux, c.posted);
  } finally {
    await server.stop();
  }
});

test('sio-bench against solgrid: flat out, then idle connections', async () => {
  const server = await startServer();
  try {
    const r = await sioBench(server.port, server.child.pid,
      ['--clients', '40', '--rate', '0', '--post-conns', '4', '--duration', '1']);
    assert.equal(r.code, 0, r.stdout + (r.stderr || ''));
    checkFigures(r.stdout);
    const c = counts(r.stdout);
    assert.ok(c.posted > 40, `flat out should beat 40 POSTs/s, got ${c.posted}`);
    assert.equal(c.delivered, c.expected);
    const idle = await sioBench(server.port, server.child.pid, ['--clients', '200', '--idle']);
    assert.equal(idle.code, 0, idle.stdout);
    assert.match(idle.stdout, /clients connected: 200 of 200 \(failed 0\)/);
    assert.match(idle.stdout, /server RSS: \d+ KB before, \d+ KB with clients: -?[\d.]+ KB per connection/);
  } finally {
    await server.stop();
  }
});

test('sio-bench against floor-server: the same counts', async () => {
  const child = spawn(floor, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const { boundPort } = await waitForListening(child, 'floor-server');
    const r = await sioBench(boundPort, child.pid, ['--clients', '40', '--rate', '40', '--duration', '1']);
    assert.equal(r.code, 0, r.stdout + (r.stderr || ''));
    checkFigures(r.stdout);
    const c = counts(r.stdout);
    assert.ok(c.posted >= 38 && c.posted <= 41, `40 POSTs/s for 1 s, got ${c.posted}`);
    assert.equal(c.delivered, c.posted * 40);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
  }
});
