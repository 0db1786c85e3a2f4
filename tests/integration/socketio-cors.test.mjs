// Cross-origin Socket.IO against `solgrid serve`: the dev frontend on
// :5173 polls with credentials (the origin is echoed, never "*"); with
// CORS_ORIGINS as an allow-list a foreign origin is refused on polling and
// on websocket, and the listed origin still works.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { startServer } from './lib/server.mjs';
import { connect, once, closeAll } from './lib/sio.mjs';

const servers = [];
const sockets = [];
after(async () => {
  closeAll(sockets);
  for (const s of servers) await s.stop();
});

const DEV = 'http://localhost:5173';
const EVIL = 'http://evil.example:8080';

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// Opens a websocket with an Origin; resolves 'open' or the refusal status.
function wsWithOrigin(port, origin) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { origin });
    ws.on('open', () => { ws.terminate(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); res.resume(); ws.terminate(); });
    ws.on('error', () => {});
  });
}

test('polling from another origin: the origin is echoed, with credentials', async () => {
  const server = await startServer();
  servers.push(server);
  const hs = await request(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: DEV } });
  assert.equal(hs.status, 200);
  assert.equal(hs.headers['access-control-allow-origin'], DEV);
  assert.equal(hs.headers['access-control-allow-credentials'], 'true');
  const { sid } = JSON.parse(hs.body.slice(1));
  const pre = await request(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'OPTIONS',
    headers: { Origin: DEV, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], DEV);
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.match(pre.headers['access-control-allow-methods'], /POST/);
  const post = await request(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST', headers: { Origin: DEV, 'Content-Type': 'text/plain;charset=UTF-8' }, body: '40',
  });
  assert.equal(post.status, 200);
  assert.equal(post.headers['access-control-allow-origin'], DEV);
  const get = await request(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { headers: { Origin: DEV } });
  assert.equal(get.headers['access-control-allow-origin'], DEV);
  assert.match(get.body, /^40\{"sid":/);
  // The real client, sending that Origin, connects over polling.
  const s = await connect(server.url, { transports: ['polling'], extraHeaders: { Origin: DEV } });
  sockets.push(s);
  s.disconnect();
  assert.equal(await wsWithOrigin(server.port, DEV), 'open');
  await server.stop();
});

test('with an allow-list a foreign origin is refused (403) on polling and websocket', async () => {
  const server = await startServer({ env: { CORS_ORIGINS: DEV } });
  servers.push(server);

  const bad = await request(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: EVIL } });
  assert.equal(bad.status, 403);
  assert.deepEqual(JSON.parse(bad.body), { code: 4, message: 'Forbidden' });
  assert.equal(bad.headers['access-control-allow-origin'], undefined);
  const pre = await request(`${server.url}/socket.io/?EIO=4&transport=polling`, {
    method: 'OPTIONS', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'GET' },
  });
  assert.equal(pre.status, 403);
  assert.equal(await wsWithOrigin(server.port, EVIL), 403);

  // The listed origin works on both.
  const good = await request(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: DEV } });
  assert.equal(good.status, 200);
  assert.equal(good.headers['access-control-allow-origin'], DEV);
  assert.equal(await wsWithOrigin(server.port, DEV), 'open');
  // No Origin at all (a non-browser client, e.g. the Arduino) is not a cross-origin request.
  const none = await request(`${server.url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(none.status, 200);

  // The real client from a foreign origin gets a connect_error, not a connection.
  const { io } = await import('socket.io-client');
  const s = io(server.url, { forceNew: true, reconnection: false, transports: ['websocket'], extraHeaders: { Origin: EVIL } });
  sockets.push(s);
  await once(s, 'connect_error');
  assert.equal(s.connected, false);
  s.disconnect();
  await server.stop();
});
