// The real socket.io-client 4.8 against `solgrid serve`: each transport, the
// polling → websocket upgrade, and the seed's events (new_sun_data after
// POST /api/data/solar, relay_status_update after POST /api/relay/update)
// reaching every connected client, 50 at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { startServer, postJson } from './lib/server.mjs';
import { connect, once, waitUntil, closeAll, sunFields, WAIT_MS } from './lib/sio.mjs';

const run = promisify(execFile);
let server;
const sockets = [];
before(async () => { server = await startServer(); });
after(async () => { closeAll(sockets); await server?.stop(); });

// A client that has connected and received the seed's connection_response.
async function client(opts) {
  const s = await connect(server.url, opts);
  sockets.push(s);
  return s;
}

async function connectWithHello(opts) {
  const socket = io(server.url, { forceNew: true, reconnection: false, ...opts });
  sockets.push(socket);
  const [hello] = await once(socket, 'connection_response');
  return { socket, hello };
}

let soc = 10;
async function postReading() {
  const body = { soc: soc++, solar_w: 120.5, lux: 35000 };
  const r = await postJson(`${server.url}/api/data/solar`, body);
  assert.equal(r.status, 201);
  return sunFields(r.json.data);
}

// The seed's own curl command (SPEC §2), only the host and port changed.
async function seedCurlSolar() {
  const { stdout } = await run('curl', ['-sS', '-X', 'POST', `${server.url}/api/data/solar`,
    '-H', 'Content-Type: application/json', '-d', '{"soc": 85, "solar_w": 120, "lux": 35000}']);
  return JSON.parse(stdout);
}
async function seedCurlRelay() {
  const { stdout } = await run('curl', ['-sS', '-X', 'POST', `${server.url}/api/relay/update`,
    '-H', 'Content-Type: application/json', '-d', '{"A": true, "B": false, "C": false, "D": false}']);
  return JSON.parse(stdout);
}

test('polling only: connects, gets connection_response and a broadcast, never upgrades', async () => {
  const { socket, hello } = await connectWithHello({ transports: ['polling'] });
  assert.deepEqual(hello, { status: 'connected' });
  assert.equal(socket.io.engine.transport.name, 'polling');
  let upgraded = false;
  socket.io.engine.on('upgrade', () => { upgraded = true; });
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  const [data] = await got;
  assert.deepEqual(data, posted);
  assert.equal(socket.io.engine.transport.name, 'polling');
  assert.equal(upgraded, false);
  socket.disconnect();
});

test('websocket only: connects without polling and gets a broadcast', async () => {
  const { socket, hello } = await connectWithHello({ transports: ['websocket'] });
  assert.deepEqual(hello, { status: 'connected' });
  assert.equal(socket.io.engine.transport.name, 'websocket');
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  assert.deepEqual((await got)[0], posted);
  socket.disconnect();
});

test('default options: polling first, then a real upgrade to websocket', async () => {
  const socket = io(server.url, { forceNew: true, reconnection: false });
  sockets.push(socket);
  // Listen before anything can happen: the first transport and the upgrade.
  const firstTransport = new Promise((resolve) => socket.io.on('open', () => resolve(socket.io.engine.transport.name)));
  const upgrade = new Promise((resolve) => socket.io.on('open', () => socket.io.engine.once('upgrade', (t) => resolve(t.name))));
  const [hello] = await once(socket, 'connection_response');
  assert.deepEqual(hello, { status: 'connected' });
  assert.equal(await firstTransport, 'polling');
  assert.equal(await Promise.race([upgrade, new Promise((_, rej) => setTimeout(() => rej(new Error('no upgrade')), WAIT_MS))]), 'websocket');
  assert.equal(socket.io.engine.transport.name, 'websocket');
  // After the upgrade, events arrive over the websocket.
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  assert.deepEqual((await got)[0], posted);
  assert.equal(socket.io.engine.transport.name, 'websocket');
  socket.disconnect();
});

test("the seed's curl commands reach every connected client with the right payloads", async () => {
  const clients = await Promise.all([
    client({ transports: ['polling'] }),
    client({ transports: ['websocket'] }),
    client({}),
    client({}),
  ]);
  const sun = clients.map((s) => once(s, 'new_sun_data'));
  const solar = await seedCurlSolar();
  assert.equal(solar.success, true);
  for (const [data] of await Promise.all(sun)) {
    assert.deepEqual(Object.keys(data).sort(), ['lux', 'soc', 'solar_w', 'timestamp']);
    assert.equal(data.soc, 85);
    assert.equal(data.solar_w, 120);
    assert.equal(data.lux, 35000);
    assert.match(data.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.deepEqual(data, sunFields(solar.data));
  }
  const relay = clients.map((s) => once(s, 'relay_status_update'));
  const r = await seedCurlRelay();
  assert.equal(r.success, true);
  for (const [state] of await Promise.all(relay)) {
    for (const [k, v] of Object.entries({ A: true, B: false, C: false, D: false })) assert.equal(state[k], v, k);
  }
  closeAll(clients);
});

test('50 clients (polling, websocket and upgrading) all receive one broadcast, once', async () => {
  const kinds = [{ transports: ['polling'] }, { transports: ['websocket'] }, {}];
  const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connectWithHello(kinds[i % 3])));
  const received = clients.map(({ socket }) => {
    const log = [];
    socket.on('new_sun_data', (d) => log.push(d));
    return log;
  });
  const first = await seedCurlSolar();
  await waitUntil(() => received.every((l) => l.length >= 1), { what: 'all 50 clients to get new_sun_data' });
  // A second event: each client has exactly [first, second], no duplicate,
  // nothing lost across an upgrade that happened meanwhile.
  const second = await postReading();
  await waitUntil(() => received.every((l) => l.length >= 2), { what: 'the second event at all 50' });
  for (const log of received) assert.deepEqual(log, [sunFields(first.data), second]);
  closeAll(clients.map((c) => c.socket));
});
