// The Redis adapter (issue 15, docs/scale-out.md) end to end: real
// `solgrid serve` instances and a real Node socket.io 4 server using the
// official @socket.io/redis-streams-adapter, all on one real redis-server
// started here, with real socket.io-client clients over every transport.
// Broadcasts cross in both directions (rooms, except, binary; the same
// offset everywhere); a client of an instance that is SIGKILLed or stopped
// recovers on another, and a Node client recovers on solgrid; a Redis outage
// leaves local delivery working and shows in /healthz and /metrics.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { io as connect } from 'socket.io-client';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { startRedis, metric } from './lib/cluster.mjs';
import { waitUntil } from './lib/sio.mjs';

const until = (check, what) => waitUntil(check, { what, timeout: 15000, interval: 50 });

// Every event a client gets, in order: [name, ...args].
function recorder(socket) {
  const got = [];
  socket.onAny((...a) => got.push(a));
  return got;
}
const named = (got, name) => got.filter((e) => e[0] === name);
const sunOf = (got) => named(got, 'new_sun_data').map((e) => e[1].soc);

async function connected(socket) {
  if (!socket.connected) await new Promise((r, j) => { socket.once('connect', r); socket.once('connect_error', j); });
  return socket;
}


describe('Redis adapter', () => {
  let redis, env;
  let s1, s2, node, nodeUrl, nodeRedis;
  const clients = [];
  const client = (url, opts = {}) => {
    const c = connect(url, { reconnectionDelay: 200, reconnectionDelayMax: 400, ...opts });
    clients.push(c);
    return c;
  };
  let soc = 1;
  const post = (server) => postJson(`${server.url}/api/data/solar`, { soc: soc++, solar_w: 100, lux: 20000 });

  before(async () => {
    redis = await startRedis({ restartable: true });  // the outage test stops and restarts it
    env = { REDIS_URL: redis.url, PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '1000' };
    [s1, s2] = await Promise.all([startServer({ env }), startServer({ env })]);
    for (const s of [s1, s2]) await until(async () => (await getJson(`${s.url}/healthz`)).json?.redis?.connected, 'redis');
    nodeRedis = createClient({ url: redis.url });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
    const http = createServer();
    node = new Server(http, { adapter: createAdapter(nodeRedis), connectionStateRecovery: {} });
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    nodeUrl = `http://127.0.0.1:${http.address().port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    node?.close();
    await nodeRedis?.quit().catch(() => {});
    await Promise.all([s1?.stop(), s2?.stop()]);
    await redis?.destroy();
  });

  test('a reading posted to one instance reaches every client of the others and of a Node server, with one offset', async () => {
    const ws = client(s2.url, { transports: ['websocket'] });
    const polling = client(s2.url, { transports: ['polling'] });
    const upgrade = client(s1.url);
    const nodeClient = client(nodeUrl, { transports: ['websocket'] });
    const all = [ws, polling, upgrade, nodeClient];
    const got = all.map(recorder);
    await Promise.all(all.map(connected));
    const r = await post(s1);
    assert.equal(r.status, 201);
    const want = r.json.data.soc;
    await until(() => got.every((g) => sunOf(g).includes(want)), 'new_sun_data everywhere');
    const offsets = got.map((g) => named(g, 'new_sun_data').find((e) => e[1].soc === want).at(-1));
    assert.match(offsets[0], /^\d+-\d+$/);  // the stream entry's id
    assert.deepEqual(new Set(offsets).size, 1, `one offset: ${offsets}`);
    assert.equal(await metric(s1, 'solgrid_redis_connected'), 1);
    assert.ok((await metric(s2, 'solgrid_redis_received_total')) >= 1);
  });

  test("the Node server's broadcasts reach solgrid's clients: except, rooms and binary", async () => {
    const a = client(s1.url, { transports: ['websocket'] });
    const b = client(s2.url, { transports: ['polling'] });
    const ga = recorder(a), gb = recorder(b);
    await Promise.all([connected(a), connected(b)]);
    node.except(a.id).emit('from_node', { n: 1 });
    node.in(b.id).socketsJoin('vip');  // SOCKETS_JOIN through the stream
    node.to('vip').emit('vip_only', 2);
    node.emit('binary', Buffer.from([1, 2, 3]), { x: 1 });
    node.emit('marker');
    await until(() => named(ga, 'marker').length && named(gb, 'marker').length, 'the marker on both');
    assert.equal(named(ga, 'from_node').length, 0, 'except holds on solgrid');
    assert.deepEqual(named(gb, 'from_node')[0][1], { n: 1 });
    assert.equal(named(ga, 'vip_only').length, 0);
    assert.equal(named(gb, 'vip_only').length, 1);
    for (const g of [ga, gb]) {
      const [, bytes, extra] = named(g, 'binary')[0];
      assert.deepEqual([...new Uint8Array(bytes.buffer ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : bytes)], [1, 2, 3]);
      assert.deepEqual(extra, { x: 1 });
    }
  });

  for (const [signal, transport] of [['SIGKILL', 'websocket'], ['SIGTERM', 'polling']]) {
    test(`a client of an instance stopped by ${signal} recovers on another (${transport})`, async () => {
      const doomed = await startServer({ env });
      await until(async () => (await getJson(`${doomed.url}/healthz`)).json?.redis?.connected, 'redis');
      const c = client(doomed.url, { transports: [transport] });
      const got = recorder(c);
      await connected(c);
      const id = c.id;
      const first = (await post(s2)).json.data.soc;
      await until(() => sunOf(got).includes(first), 'the first reading');
      c.io.uri = s2.url;  // where the proxy would send it next
      const dropped = new Promise((r) => c.once('disconnect', r));
      await doomed.stop({ signal });
      await dropped;
      const missed = [(await post(s1)).json.data.soc, (await post(s2)).json.data.soc];
      await until(() => c.connected, 'the reconnection');
      const live = (await post(s1)).json.data.soc;
      await until(() => sunOf(got).includes(live), 'a live reading after it');
      assert.equal(c.recovered, true);
      assert.equal(c.id, id);
      assert.deepEqual(sunOf(got), [first, ...missed, live], 'every reading once, in order');
    });
  }

  test('a Node client recovers on solgrid from the session the Node server stored', async () => {
    const c = client(nodeUrl, { transports: ['websocket'] });
    const got = recorder(c);
    await connected(c);
    const id = c.id;
    const first = (await post(s1)).json.data.soc;
    await until(() => sunOf(got).includes(first), 'the first reading');
    c.io.uri = s1.url;
    const dropped = new Promise((r) => c.once('disconnect', r));
    node.sockets.sockets.get(id).conn.close();  // "forced close": Node stores the session
    await dropped;
    await until(() => c.connected, 'the reconnection');
    const live = (await post(s2)).json.data.soc;
    await until(() => sunOf(got).includes(live), 'a live reading');
    assert.equal(c.recovered, true);
    assert.equal(c.id, id);
    assert.deepEqual(sunOf(got), [first, live]);
  });

  test('a Redis outage leaves local delivery working; the adapter says so and comes back', async () => {
    const a = client(s1.url, { transports: ['websocket'] });
    const b = client(s2.url, { transports: ['websocket'] });
    const ga = recorder(a), gb = recorder(b);
    await Promise.all([connected(a), connected(b)]);
    await redis.stop();
    await until(async () => (await getJson(`${s1.url}/healthz`)).json?.redis?.connected === false, 'healthz down');
    assert.equal(await metric(s1, 'solgrid_redis_connected'), 0);
    const local = (await post(s1)).json.data.soc;
    await until(() => sunOf(ga).includes(local), 'local delivery during the outage');
    assert.ok((await metric(s1, 'solgrid_redis_publish_failures_total')) >= 1);
    await redis.start();  // the same port, empty
    await until(async () => (await metric(s1, 'solgrid_redis_connected')) === 1 &&
      (await metric(s2, 'solgrid_redis_connected')) === 1, 'both adapters back');
    const back = (await post(s1)).json.data.soc;
    await until(() => sunOf(ga).includes(back) && sunOf(gb).includes(back), 'fan-out again');
    assert.equal(sunOf(gb).includes(local), false, 'what Redis never had stayed local');
    assert.match(s1.output(), /Redis adapter \(publish\): connection lost to/);
    assert.match(s1.output(), /Redis adapter \(publish\): connected to/);
  });
});
