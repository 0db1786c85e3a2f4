// The seed's REST contract (SPEC §2) against the real binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, postJson, getJson } from './lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('latest before any reading is a JSON 404', async () => {
  const r = await getJson(`${server.url}/api/data/latest`);
  assert.equal(r.status, 404);
  assert.equal(r.json.success, false);
  assert.match(r.json.error, /no sensor data/);
});

test("the seed's curl examples work unchanged", async () => {
  const r = await postJson(`${server.url}/api/data/solar`, { soc: 85, solar_w: 120, lux: 35000 });
  assert.equal(r.status, 201);
  assert.equal(r.json.success, true);
  assert.equal(r.json.data.soc, 85);
  assert.equal(r.json.data.solar_w, 120);
  assert.equal(r.json.data.lux, 35000);
  assert.match(r.json.data.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);

  const latest = await getJson(`${server.url}/api/data/latest`);
  assert.equal(latest.status, 200);
  assert.deepEqual(Object.keys(latest.json).sort(), ['lux', 'soc', 'solar_w', 'timestamp']);
  assert.equal(latest.json.soc, 85);
  assert.equal(latest.json.timestamp, r.json.data.timestamp);

  const relay = await postJson(`${server.url}/api/relay/update`, { A: true, B: false, C: false, D: false });
  assert.equal(relay.status, 200);
  assert.equal(relay.json.success, true);
  const status = await getJson(`${server.url}/api/relay/status`);
  assert.equal(status.status, 200);
  for (const k of ['A', 'B', 'C', 'D']) assert.equal(typeof status.json[k], 'boolean');
  assert.equal(status.json.A, true);
  assert.equal(status.json.B, false);
});

test('relay update merges a subset and status always returns all four', async () => {
  await postJson(`${server.url}/api/relay/update`, { A: false, B: false, C: false, D: false });
  await postJson(`${server.url}/api/relay/update`, { C: true });
  const s = await getJson(`${server.url}/api/relay/status`);
  assert.equal(s.json.A, false);
  assert.equal(s.json.C, true);
  assert.equal(s.json.D, false);
});

test('bad sensor input is a 400 naming the field and stores nothing', async () => {
  const before = await getJson(`${server.url}/api/data/latest`);
  const cases = [
    [{ solar_w: 1, lux: 1 }, 'soc'],
    [{ soc: '85', solar_w: 1, lux: 1 }, 'soc'],
    [{ soc: 85.5, solar_w: 1, lux: 1 }, 'soc'],
    [{ soc: 101, solar_w: 1, lux: 1 }, 'soc'],
    [{ soc: 50, solar_w: -1, lux: 1 }, 'solar_w'],
    [{ soc: 50, solar_w: 1 }, 'lux'],
    [{ soc: 50, solar_w: 1, lux: 'x' }, 'lux'],
    // issue 11 A5: implausible values (1e308 W was stored, and summed)
    [{ soc: 50, solar_w: 1e308, lux: 1 }, 'solar_w'],
    [{ soc: 50, solar_w: 1000001, lux: 1 }, 'solar_w'],
    [{ soc: 50, solar_w: 1, lux: 200001 }, 'lux'],
  ];
  for (const [body, field] of cases) {
    const r = await postJson(`${server.url}/api/data/solar`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.success, false);
    assert.equal(r.json.field, field);
    assert.ok(r.json.error.length > 0);
  }
  const malformed = await postJson(`${server.url}/api/data/solar`, '{"soc": 85,');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.success, false);
  const after = await getJson(`${server.url}/api/data/latest`);
  assert.deepEqual(after.json, before.json);
});

test('bad relay input is a 400 naming the field', async () => {
  for (const [body, field] of [[{ A: 1 }, 'A'], [{ E: true }, 'E'], [{ A: 'on' }, 'A']]) {
    const r = await postJson(`${server.url}/api/relay/update`, body);
    assert.equal(r.status, 400);
    assert.equal(r.json.field, field);
  }
  const empty = await postJson(`${server.url}/api/relay/update`, {});
  assert.equal(empty.status, 400);
});

test('wrong method is 405 with Allow, unknown path 404 JSON', async () => {
  const r = await fetch(`${server.url}/api/relay/status`, { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET');
  assert.equal((await r.json()).success, false);
  const g = await fetch(`${server.url}/api/data/solar`);
  assert.equal(g.status, 405);
  await g.text();
  const n = await getJson(`${server.url}/api/nope`);
  assert.equal(n.status, 404);
  assert.equal(n.json.success, false);
});

test('a body over the limit is 413', async () => {
  // The server answers 413 and closes lingeringly, so the client sees the
  // answer rather than a reset (issue 11 A10; http-limits.test.mjs has more).
  const r = await postJson(`${server.url}/api/data/solar`, 'x'.repeat(2 * 1024 * 1024));
  assert.equal(r.status, 413);
  assert.equal(r.json.success, false);
});

// issue 11 A6: a page on any site can POST text/plain or a form without a
// CORS preflight; JSON routes take application/json only.
test('JSON routes refuse other content types with a 415 and change nothing', async () => {
  await postJson(`${server.url}/api/relay/update`, { A: false });
  const before = await getJson(`${server.url}/api/data/latest`);
  const attempts = [
    ['/api/relay/update', '{"A":true}', 'text/plain'],
    ['/api/relay/update', '{"A":true}', 'text/plain;charset=UTF-8'],
    ['/api/relay/update', 'A=true', 'application/x-www-form-urlencoded'],
    ['/api/data/solar', '{"soc":11,"solar_w":1,"lux":1}', 'text/plain'],
    ['/api/data/solar', '{"soc":11,"solar_w":1,"lux":1}', 'multipart/form-data; boundary=x'],
  ];
  for (const [route, body, type] of attempts) {
    const r = await fetch(`${server.url}${route}`, {
      method: 'POST', headers: { 'Content-Type': type, Origin: 'https://evil.example' }, body,
    });
    assert.equal(r.status, 415, `${route} ${type}`);
    const json = await r.json();
    assert.equal(json.success, false);
    assert.match(json.error, /application\/json/);
  }
  assert.equal((await getJson(`${server.url}/api/relay/status`)).json.A, false);
  assert.deepEqual((await getJson(`${server.url}/api/data/latest`)).json, before.json);
  // Parameters and case do not matter.
  const ok = await postJson(`${server.url}/api/relay/update`, { A: true }, { headers: { 'Content-Type': 'Application/JSON; charset=utf-8' } });
  assert.equal(ok.status, 200);
  await postJson(`${server.url}/api/relay/update`, { A: false });
});

test('a duplicate key in a JSON body is a 400 naming it', async () => {
  for (const [route, body, field] of [
    ['/api/relay/update', '{"A":true,"A":false}', 'A'],
    ['/api/relay/update', '{"B":true,"\\u0042":false}', 'B'],
    ['/api/data/solar', '{"soc":50,"solar_w":1,"lux":1,"soc":60}', 'soc'],
    ['/api/data/solar', '{"soc":50,"solar_w":1,"lux":1,"relays":{"A":true,"A":false}}', 'relays.A'],
  ]) {
    const r = await postJson(`${server.url}${route}`, body);
    assert.equal(r.status, 400, body);
    assert.equal(r.json.success, false);
    assert.equal(r.json.field, field, body);
    assert.match(r.json.error, /duplicate key/);
  }
});

test('CORS: preflight answered and Allow-Origin on API responses', async () => {
  const pre = await fetch(`${server.url}/api/data/solar`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
  const r = await fetch(`${server.url}/api/relay/status`, { headers: { Origin: 'http://localhost:5173' } });
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  await r.text();
});

test('CORS allow-list matches exactly', async () => {
  const s = await startServer({ env: { CORS_ORIGINS: 'http://localhost:5173,https://grid.example' } });
  try {
    const ok = await fetch(`${s.url}/api/relay/status`, { headers: { Origin: 'https://grid.example' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://grid.example');
    await ok.text();
    const no = await fetch(`${s.url}/api/relay/status`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    await no.text();
    const pre = await fetch(`${s.url}/api/relay/update`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(pre.status, 403);
  } finally { await s.stop(); }
});

test('keep-alive: many requests over one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set();
  for (let i = 0; i < 20; i++) {
    const { port } = await new Promise((resolve, reject) => {
      http.get(`${server.url}/api/relay/status`, { agent }, (res) => {
        const port = res.socket.localPort;
        res.resume();
        res.on('end', () => resolve({ port }));
      }).on('error', reject);
    });
    ports.add(port);
  }
  agent.destroy();
  assert.equal(ports.size, 1);
});

test('many concurrent clients all get their reading stored', async () => {
  const n = 200;
  const results = await Promise.all(Array.from({ length: n }, (_, i) =>
    postJson(`${server.url}/api/data/solar`, { soc: i % 101, solar_w: i, lux: i * 10 })));
  assert.ok(results.every((r) => r.status === 201));
  const ids = new Set(results.map((r) => r.json.data.id));
  assert.equal(ids.size, n);
  const latest = await getJson(`${server.url}/api/data/latest`);
  const maxId = Math.max(...results.map((r) => r.json.data.id));
  const newest = results.find((r) => r.json.data.id === maxId);
  assert.equal(latest.json.soc, newest.json.data.soc);
});

test('malformed HTTP gets a 400 and the server stays up', async () => {
  const reply = await new Promise((resolve) => {
    const sock = net.connect(server.port, '127.0.0.1', () => sock.write('THIS IS NOT HTTP\r\n\r\n'));
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('close', () => resolve(data));
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  const ok = await getJson(`${server.url}/healthz`);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.status, 'ok');
  assert.equal(ok.json.database.ok, true);
});

test('data is kept across a restart, and SIGTERM exits cleanly', async () => {
  const s = await startServer();
  await postJson(`${s.url}/api/data/solar`, { soc: 42, solar_w: 7.5, lux: 900 });
  await postJson(`${s.url}/api/relay/update`, { B: true });
  const code = await s.stop({ keepDir: true });
  assert.equal(code, 0);
  const again = await startServer({ dir: s.dir });
  try {
    const latest = await getJson(`${again.url}/api/data/latest`);
    assert.equal(latest.json.soc, 42);
    assert.equal(latest.json.solar_w, 7.5);
    const relays = await getJson(`${again.url}/api/relay/status`);
    assert.equal(relays.json.B, true);
  } finally { await again.stop(); }
});

test('a bad config value stops start-up naming the variable', async () => {
  await assert.rejects(startServer({ env: { BATTERY_CAPACITY_WH: 'lots' } }), /BATTERY_CAPACITY_WH/);
});
