// Legacy clients (issue 14): Engine.IO v3 / Socket.IO protocol v4, as the
// real socket.io-client 2.x (npm alias socket.io-client-v2) and a raw
// device-style WebSocket client (arduinoWebSockets' SocketIOclient speaks
// the same) get them: each transport and the upgrade, the seed's
// new_sun_data after a POST, an unknown namespace's error, AUTH with a
// token in the query or the session cookie, the client-driven heartbeat,
// and ALLOW_EIO3=false answering error 5 as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ioV2 from 'socket.io-client-v2';
import WebSocket from 'ws';
import { startServer, postJson } from './lib/server.mjs';
import { call, login } from './lib/http.mjs';
import { once, waitUntil, closeAll, sunFields } from './lib/sio.mjs';

const ADMIN_PASSWORD = 'admin-secret-123';
const servers = [];
const sockets = [];
const raws = [];
after(async () => {
  closeAll(sockets);
  for (const w of raws) w.terminate();
  for (const s of servers) await s.stop();
});

async function start(env = {}) {
  const s = await startServer({ env });
  servers.push(s);
  return s;
}

// A socket.io-client 2.x socket; no automatic reconnection.
function v2(url, opts = {}) {
  const s = ioV2(url, { forceNew: true, reconnection: false, ...opts });
  sockets.push(s);
  return s;
}

// A raw WebSocket, terminated after the tests (its late errors ignored).
function rawWs(url) {
  const w = new WebSocket(url);
  w.on('error', () => {});
  raws.push(w);
  return w;
}

let soc = 10;
const reading = () => ({ soc: soc++, solar_w: 120.5, lux: 35000 });
async function postReading(server) {
  const r = await postJson(`${server.url}/api/data/solar`, reading());
  assert.equal(r.status, 201);
  return sunFields(r.json.data);
}

let server;
before(async () => { server = await start(); });

for (const [name, opts, transport] of [
  ['websocket only', { transports: ['websocket'] }, 'websocket'],
  ['polling only', { transports: ['polling'] }, 'polling'],
]) {
  test(`socket.io-client 2.x, ${name}: connection_response, then new_sun_data after a POST`, async () => {
    const s = v2(server.url, opts);
    const [hello] = await once(s, 'connection_response');
    assert.deepEqual(hello, { status: 'connected' });
    assert.equal(s.connected, true);
    assert.equal(s.io.engine.transport.name, transport);
    const got = once(s, 'new_sun_data');
    const posted = await postReading(server);
    assert.deepEqual((await got)[0], posted);
    s.close();
  });
}

test('socket.io-client 2.x, default options: polling, then a real upgrade to websocket', async () => {
  const s = v2(server.url);
  const upgraded = once(s.io.engine, 'upgrade');
  await once(s, 'connection_response');
  await upgraded;
  assert.equal(s.io.engine.transport.name, 'websocket');
  const got = once(s, 'new_sun_data');
  const posted = await postReading(server);
  assert.deepEqual((await got)[0], posted);
  // Two sockets on separate connections both get the broadcast.
  const other = v2(server.url, { transports: ['polling'] });
  await once(other, 'connection_response');
  const a = once(s, 'new_sun_data');
  const b = once(other, 'new_sun_data');
  const second = await postReading(server);
  assert.deepEqual((await a)[0], second);
  assert.deepEqual((await b)[0], second);
  s.close();
  other.close();
});

test('socket.io-client 2.x: an unknown namespace answers the error "Invalid namespace"', async () => {
  const s = v2(`${server.url}/nope`, { transports: ['websocket'] });
  const [err] = await once(s, 'error');
  assert.equal(err, 'Invalid namespace');
  assert.equal(s.connected, false);
  s.close();
});

test('a raw EIO=3 device client: open, 40, its own ping answered, 42 new_sun_data after a POST', async () => {
  const port = new URL(server.url).port;
  const w = rawWs(`ws://127.0.0.1:${port}/socket.io/?EIO=3&transport=websocket`);
  const frames = [];
  w.on('message', (d, isBinary) => frames.push(isBinary ? d : d.toString()));
  const next = async (what) => {
    await waitUntil(() => frames.length > 0, { what });
    return frames.shift();
  };
  const open = await next('the open packet');
  assert.equal(open[0], '0');
  const o = JSON.parse(open.slice(1));
  assert.equal(typeof o.sid, 'string');
  assert.deepEqual(o.upgrades, []);
  assert.equal(typeof o.pingInterval, 'number');
  assert.equal(typeof o.pingTimeout, 'number');
  assert.equal('maxPayload' in o, false);
  assert.equal(await next('40'), '40');
  assert.equal(await next('connection_response'), '42["connection_response",{"status":"connected"}]');
  // What microcontroller clients send on connecting: "5" (an upgrade never
  // probed) and "40/" (arduinoWebSockets' sketches join "/" explicitly,
  // which it is in already): both harmless.
  w.send('5');
  w.send('40/');
  w.send('2');
  assert.equal(await next('the pong'), '3');
  const posted = await postReading(server);
  const msg = await next('new_sun_data');
  assert.ok(msg.startsWith('42["new_sun_data",'), msg);
  const [event, data] = JSON.parse(msg.slice(2));
  assert.equal(event, 'new_sun_data');
  assert.deepEqual(sunFields(data), posted);
  w.close();
});

test('a raw EIO=3 polling client: length-prefixed open, 40 and its ping answered', async () => {
  const first = await call(server, 'GET', '/socket.io/?EIO=3&transport=polling&b64=1');
  assert.equal(first.status, 200);
  const m = first.text.match(/^(\d+):0(\{.*\})$/s);
  assert.ok(m, first.text);
  assert.equal(Number(m[1]), first.text.length - m[1].length - 1);
  const { sid } = JSON.parse(m[2]);
  const q = `/socket.io/?EIO=3&transport=polling&b64=1&sid=${sid}`;
  const next = await call(server, 'GET', q);
  assert.equal(next.text, '2:4048:42["connection_response",{"status":"connected"}]');
  const post = await call(server, 'POST', q, { body: '1:2', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  assert.equal(post.status, 200, post.text);
  assert.equal((await call(server, 'GET', q)).text, '1:3');
  // A v4 payload is no v3 payload: 400 and the session is closed.
  const bad = await call(server, 'POST', q, { body: '2\x1e2', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  assert.equal(bad.status, 400);
});

test('heartbeat: a v3 client that pings stays up past pingInterval + pingTimeout; one that does not is closed', async () => {
  const s2 = await start({ PING_INTERVAL_MS: '300', PING_TIMEOUT_MS: '200' });
  for (const transports of [['websocket'], ['polling']]) {
    const s = v2(s2.url, { transports });
    await once(s, 'connection_response');
    let disconnected = null;
    s.on('disconnect', (reason) => { disconnected = reason; });
    let pongs = 0;
    s.io.engine.on('pong', () => { pongs++; });
    // Five of the client's pings: well past 300 + 200 ms.
    await waitUntil(() => pongs >= 5, { what: 'five pongs' });
    assert.equal(disconnected, null);
    assert.equal(s.connected, true);
    s.close();
  }
  // A raw v3 session that never pings: the server closes it.
  const port = new URL(s2.url).port;
  const w = rawWs(`ws://127.0.0.1:${port}/socket.io/?EIO=3&transport=websocket`);
  const received = [];
  w.on('message', (d) => received.push(d.toString()));
  await once(w, 'close');
  assert.equal(received[0][0], '0');
  assert.ok(!received.includes('2'), 'the server never pings a v3 client');
});

test('AUTH on: refused without credentials; a token in the query or the session cookie gets the events', async () => {
  const s = await start({ AUTH: 'on', ADMIN_PASSWORD, MARKET_ENFORCE: 'off' });
  const admin = await login(s, 'admin', ADMIN_PASSWORD);
  const anon = v2(s.url, { transports: ['websocket'] });
  assert.equal((await once(anon, 'error'))[0], 'unauthorized');
  assert.equal(anon.connected, false);
  anon.close();
  const bad = v2(s.url, { query: { token: 'sgd_not-a-real-token' }, transports: ['polling'] });
  assert.equal((await once(bad, 'error'))[0], 'unauthorized');
  bad.close();

  const dev = await call(s, 'POST', '/api/devices', { body: { name: 'legacy-dashboard' }, cookie: admin.cookie });
  assert.equal(dev.status, 201, dev.text);
  for (const opts of [
    { query: { token: dev.json.token }, transports: ['websocket'] },
    { query: { token: dev.json.token }, transports: ['polling'] },
    { query: `token=${encodeURIComponent(dev.json.token)}` },
    { extraHeaders: { Cookie: admin.cookie }, transports: ['websocket'] },
    { extraHeaders: { Cookie: admin.cookie }, transports: ['polling'] },
  ]) {
    const c = v2(s.url, opts);
    const [hello] = await once(c, 'connection_response');
    assert.deepEqual(hello, { status: 'connected' });
    const got = once(c, 'new_sun_data');
    const post = await call(s, 'POST', '/api/data/solar', { body: reading() });
    assert.equal(post.status, 201, post.text);
    assert.equal((await got)[0].soc, post.json.data.soc);
    c.close();
  }
});

test('ALLOW_EIO3=false: EIO=3 gets 400 with error 5, EIO=4 still works', async () => {
  const s = await start({ ALLOW_EIO3: 'false' });
  for (const transport of ['polling', 'websocket']) {
    const r = await call(s, 'GET', `/socket.io/?EIO=3&transport=${transport}`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { code: 5, message: 'Unsupported protocol version' });
  }
  const port = new URL(s.url).port;
  const w = rawWs(`ws://127.0.0.1:${port}/socket.io/?EIO=3&transport=websocket`);
  const [, res] = await once(w, 'unexpected-response');
  assert.equal(res.statusCode, 400);
  const v4 = await call(s, 'GET', '/socket.io/?EIO=4&transport=polling');
  assert.equal(v4.status, 200);
  assert.match(v4.text, /^0\{/);
});
