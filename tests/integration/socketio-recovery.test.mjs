// Dropped connections against `solgrid serve` with the real
// socket.io-client: connection-state recovery (after events, and after a
// quiet connection), automatic reconnection after a server restart on the
// same port and data directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { connect, once, waitUntil, closeAll, record, sunFields } from './lib/sio.mjs';

const sockets = [];
const servers = [];
after(async () => {
  closeAll(sockets);
  for (const s of servers) await s.stop();
});

async function serve(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

async function realtimeStats(server) {
  const h = await getJson(`${server.url}/healthz`);
  return h.json.realtime;
}

async function post(server, soc) {
  const r = await postJson(`${server.url}/api/data/solar`, { soc, solar_w: soc * 2, lux: soc * 100 });
  assert.equal(r.status, 201);
  return sunFields(r.json.data);
}

// Drops the client's connection the way a network failure does (no
// Socket.IO DISCONNECT), and waits until the server has seen it go.
async function dropAndWait(server, socket) {
  const gone = once(socket, 'disconnect');
  socket.io.engine.close();
  const [reason] = await gone;
  assert.notEqual(reason, 'io client disconnect');
  await waitUntil(async () => (await realtimeStats(server)).socketio_clients === 0, { what: 'the server to see the drop' });
}

for (const transports of [['websocket'], ['polling']]) {
  test(`recovery after a forced disconnect (${transports[0]}): missed events arrive, same id`, async () => {
    const server = await serve({ env: { RECOVERY_WINDOW_MS: '60000' } });
    const socket = await connect(server.url, { transports });
    sockets.push(socket);
    const id = socket.id;
    const seen = [];
    socket.on('new_sun_data', (d) => seen.push(d));
    const first = await post(server, 50);
    await waitUntil(() => seen.length === 1, { what: 'the first event' });
    assert.deepEqual(seen[0], first);
    assert.equal(socket.recovered, false);

    await dropAndWait(server, socket);
    const missed = [await post(server, 51), await post(server, 52)];

    const back = once(socket, 'connect');
    socket.connect();
    await back;
    assert.equal(socket.recovered, true);
    assert.equal(socket.id, id);
    await waitUntil(() => seen.length === 3, { what: 'the missed events' });
    assert.deepEqual(seen, [first, ...missed]);
    // And the link is live again.
    const live = await post(server, 53);
    await waitUntil(() => seen.length === 4, { what: 'a live event after recovery' });
    assert.deepEqual(seen[3], live);
    socket.disconnect();
    await server.stop();
  });
}

test('recovery after a quiet connection (no event received before the drop)', async () => {
  const server = await serve({ env: { RECOVERY_WINDOW_MS: '60000' } });
  const socket = io(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] });
  sockets.push(socket);
  // connection_response is the socket's own event, not a broadcast: it
  // carries no offset, so the client has none to send back.
  await once(socket, 'connection_response');
  const id = socket.id;
  const seen = [];
  socket.on('new_sun_data', (d) => seen.push(d));
  await dropAndWait(server, socket);
  const missed = await post(server, 60);
  const back = once(socket, 'connect');
  socket.connect();
  await back;
  assert.equal(socket.recovered, true);
  assert.equal(socket.id, id);
  await waitUntil(() => seen.length === 1, { what: 'the event missed while away' });
  assert.deepEqual(seen[0], missed);
  socket.disconnect();
  await server.stop();
});

test('offsets only after the client showed it keeps them; a second drop recovers from its own offset', async () => {
  // First connection: events exactly as emitted (a python-socketio client
  // with one-argument handlers must not get an extra argument). The pid the
  // client sends back on reconnection shows it keeps offsets: from then on
  // each broadcast carries one, and the next recovery starts from it.
  const server = await serve({ env: { RECOVERY_WINDOW_MS: '60000' } });
  const socket = await connect(server.url, { transports: ['websocket'] });
  sockets.push(socket);
  const log = record(socket);
  const sun = () => log.filter((e) => e.event === 'new_sun_data');
  const first = await post(server, 80);
  await waitUntil(() => sun().length === 1, { what: 'the first event' });
  assert.deepEqual(sun()[0].args, [first]);

  await dropAndWait(server, socket);
  const missed = await post(server, 81);
  let back = once(socket, 'connect');
  socket.connect();
  await back;
  assert.equal(socket.recovered, true);
  await waitUntil(() => sun().length === 2, { what: 'the event missed while away' });
  assert.equal(sun()[1].args.length, 2);
  assert.deepEqual(sun()[1].args[0], missed);
  assert.equal(typeof sun()[1].args[1], 'string');  // the offset
  const live = await post(server, 82);
  await waitUntil(() => sun().length === 3, { what: 'a live event' });
  assert.deepEqual(sun()[2].args[0], live);
  assert.equal(typeof sun()[2].args[1], 'string');

  await dropAndWait(server, socket);
  const missedAgain = [await post(server, 83), await post(server, 84)];
  back = once(socket, 'connect');
  socket.connect();
  await back;
  assert.equal(socket.recovered, true);
  await waitUntil(() => sun().length === 5, { what: 'the events missed the second time' });
  assert.deepEqual(sun().map((e) => e.args[0]), [first, missed, live, ...missedAgain]);  // each once
  socket.disconnect();
  await server.stop();
});

test('with recovery off a reconnecting client is a new socket and misses nothing it should not', async () => {
  const server = await serve({ env: { RECOVERY_WINDOW_MS: '0' } });
  const socket = await connect(server.url, { transports: ['websocket'] });
  sockets.push(socket);
  const id = socket.id;
  const log = record(socket);
  await dropAndWait(server, socket);
  await post(server, 70);
  const back = once(socket, 'connect');
  socket.connect();
  await back;
  assert.ok(!socket.recovered);
  assert.notEqual(socket.id, id);
  const live = await post(server, 71);
  await waitUntil(() => log.some((e) => e.event === 'new_sun_data'), { what: 'a live event' });
  const sun = log.filter((e) => e.event === 'new_sun_data');
  assert.equal(sun.length, 1);
  assert.deepEqual(sun[0].args, [live]);  // no offset argument without recovery
  socket.disconnect();
  await server.stop();
});

test('a client reconnects by itself after a server restart on the same port and data directory', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-restart-'));
  try {
    let server = await serve({ dir });
    const port = server.port;
    const socket = io(server.url, {
      forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500, randomizationFactor: 0,
    });
    sockets.push(socket);
    await once(socket, 'connection_response');
    const seen = [];
    socket.on('new_sun_data', (d) => seen.push(d));
    const before = await post(server, 33);
    await waitUntil(() => seen.length === 1, { what: 'the event before the restart' });

    const dropped = once(socket, 'disconnect');
    await server.stop({ keepDir: true });
    const [reason] = await dropped;
    assert.notEqual(reason, 'io client disconnect');
    assert.notEqual(reason, 'io server disconnect');  // those would stop reconnection

    const hello = once(socket, 'connection_response');
    server = await serve({ dir, port });
    assert.equal(server.port, port);
    await hello;  // reconnected by itself
    assert.equal(socket.connected, true);
    // Same data directory: the reading from before the restart is there.
    const latest = await getJson(`${server.url}/api/data/latest`);
    assert.equal(latest.status, 200);
    assert.deepEqual(sunFields(latest.json), before);
    const after = await post(server, 34);
    await waitUntil(() => seen.length === 2, { what: 'an event after the restart' });
    assert.deepEqual(seen[1], after);
    socket.disconnect();
    await server.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
