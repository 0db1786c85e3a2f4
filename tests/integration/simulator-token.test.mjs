// The real `solgrid simulate` sends its device token (--token, or SIM_TOKEN)
// as `Authorization: Bearer` on every sensor post, sends none without one,
// refuses a token it could not send, and when the server refuses the token
// (401/403/429) says so once and keeps posting at its interval. The server
// here is a small node HTTP server that records each post's headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { startSimulator, waitFor } from './lib/device-sim.mjs';
import { solgridBin } from './lib/server.mjs';

const accepted = [201, { success: true, message: 'sensor data saved',
  data: { relays: { A: true, B: false, C: false, D: false }, relay_version: 1 } }];

// A stand-in for POST /api/data/solar: records every request and answers
// with answer(n) = [status, json] for the n-th post (1-based).
async function captureServer(answer = () => accepted) {
  const posts = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      posts.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body, at: Date.now() });
      const [status, json] = answer(posts.length);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, posts, close: () => new Promise((r) => srv.close(r)) };
}

async function withSimulator(server, options, body) {
  const sim = await startSimulator({ server: server.url, ...options });
  try {
    await body(sim);
  } catch (e) {
    e.message += `\n--- simulator log ---\n${sim.output()}`;
    throw e;
  } finally {
    await sim.stop();
    await server.close();
  }
}

const count = (text, needle) => text.split(needle).length - 1;

test('every sensor post carries the device token given with --token', async () => {
  const server = await captureServer();
  await withSimulator(server, { args: ['--token', 'sgd_Test-token_1.2~3+4/5=='] }, async () => {
    await waitFor(() => server.posts.length >= 3, { what: 'three posts' });
    for (const p of server.posts) {
      assert.equal(p.method, 'POST');
      assert.equal(p.url, '/api/data/solar');
      assert.equal(p.authorization, 'Bearer sgd_Test-token_1.2~3+4/5==');
      assert.ok(Number.isInteger(JSON.parse(p.body).soc));
    }
  });
});

test('without a token the posts carry no Authorization header', async () => {
  const server = await captureServer();
  await withSimulator(server, {}, async () => {
    await waitFor(() => server.posts.length >= 2, { what: 'two posts' });
    for (const p of server.posts) assert.equal(p.authorization, undefined);
  });
});

test('a refused token is reported once, and posting goes on at the interval', async () => {
  let refuse = true;
  const server = await captureServer(() => (refuse
    ? [401, { success: false, error: 'invalid device token' }]
    : accepted));
  const interval = 0.2;
  await withSimulator(server, { interval, args: ['--token', 'sgd_revoked'] }, async (sim) => {
    await waitFor(() => server.posts.length >= 5, { what: 'five refused posts' });
    const log = sim.output();
    assert.equal(count(log, 'the server refused the device token: HTTP 401 invalid device token'), 1, log);
    // Retried at the interval, not in a tight loop: five posts span four intervals.
    const [first, fifth] = [server.posts[0].at, server.posts[4].at];
    assert.ok(fifth - first >= 4 * interval * 1000 * 0.9, `5 posts within ${fifth - first} ms`);
    const status = await (await fetch(`${sim.url}/status`)).json();
    assert.ok(status.posts_failed >= 5);
    assert.match(status.last_post_error, /refused the device token/);

    refuse = false;  // the token is fixed on the server: posting resumes
    await waitFor(async () => (await (await fetch(`${sim.url}/status`)).json()).posts_ok >= 1, { what: 'a post accepted' });
    assert.equal(count(sim.output(), 'the server refused the device token'), 1);
  });
});

test('403 and 429 are reported as refusals too, each once', async () => {
  const server = await captureServer((n) => (n <= 3
    ? [403, { success: false, error: 'device token not allowed here' }]
    : [429, { success: false, error: 'too many requests' }]));
  await withSimulator(server, { interval: 0.1, args: ['--token', 'sgd_x'] }, async (sim) => {
    await waitFor(() => server.posts.length >= 6, { what: 'six refused posts' });
    const log = sim.output();
    // One line for the refusals in a row, whatever their status.
    assert.equal(count(log, 'the server refused the device token: HTTP 403 device token not allowed here'), 1, log);
    assert.equal(count(log, 'the server refused the device token'), 1, log);
  });
});

test('SIM_TOKEN is used when --token is not given', async () => {
  const server = await captureServer();
  const child = spawn(solgridBin, ['simulate', '--host', '127.0.0.1', '--port', '0', '--server', server.url,
    '--interval', '0.2', '--seed', '7'], {
    env: { PATH: process.env.PATH, TZ: 'UTC', SIM_TOKEN: 'sgd_from_env' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await waitFor(() => server.posts.length >= 2, { what: 'two posts' });
    assert.equal(server.posts[0].authorization, 'Bearer sgd_from_env');
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    await exited;
    await server.close();
  }
});

test('a token that cannot be sent as a header is refused at start', async () => {
  for (const bad of ['two words', 'sgd_x\r\nX-Injected: 1', '=x']) {
    const child = spawn(solgridBin, ['simulate', '--port', '0', '--token', bad], {
      env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 2, output);
    assert.match(output, /--token must be a token/, output);
  }
});
