// Three solgrid instances act as one server (issue 15 item 4): real Redis,
// a real MariaDB database shared by all, Debian's nginx in front with
// deploy/nginx-cluster.conf (hash $remote_addr consistent), and a real Node.js
// socket.io server with the official @socket.io/redis-streams-adapter on the
// same Redis. 100 socket.io-client clients — a third each polling-only,
// websocket-only and the default upgrade — half through nginx (from 25
// loopback addresses, so the hash spreads them) and half straight to an
// instance:
//   - every new_sun_data posted to any instance (directly or through nginx)
//     reaches every client exactly once, and the Node server's own client;
//   - the Node server's broadcasts reach solgrid's clients: to all, to one
//     socket id's room, except one socket id, a Buffer argument as binary;
//   - SIGKILL of the instance with the most clients: its clients reconnect
//     through nginx or another instance, `socket.recovered === true` with
//     the same id, and get the readings posted while they were away;
//   - Redis stopped: each instance still delivers its own posts to its own
//     clients, /metrics and /healthz say Redis is gone; Redis back: they
//     say so and cross-instance delivery resumes;
//   - a session the Node server stored is recovered by solgrid, and the
//     other way round (the adapter's sio:session:<pid> format).
// Needs MariaDB (SOLGRID_TEST_MYSQL_*: `make test`, or
// `eval "$(scripts/mariadb-test-server start)"`); starts its own Redis
// (it stops and restarts it), nginx and instances, all stopped by PID.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { postJson, repoRoot } from './lib/server.mjs';
import { closeAll, waitUntil, toBuffer, sunFields } from './lib/sio.mjs';
import { startCluster, metric, healthz } from './lib/cluster.mjs';
import { startNodeSioServer } from './lib/node-sio-redis-server.mjs';

const run = promisify(execFile);
const CLIENTS = 100;
const NGINX_ADDRESSES = 25;  // 127.0.0.10 … 127.0.0.34
const OFFSET = /^\d+-\d+$/;  // a Redis stream entry id: the recovery offset

let cluster, node;
const clients = [];
let lux = 1000;  // each reading's lux is unique: it names the post
const posts = [];  // {lux, data} of every reading that must reach everyone exactly once

before(async () => {
  cluster = await startCluster({
    instances: 3,
    restartableRedis: true,  // the outage test stops and restarts it
    env: { INGEST_RATE: '1000', INGEST_BURST: '1000' },
  });
  node = await startNodeSioServer({ redisUrl: cluster.redis.url });
});

after(async () => {
  closeAll(clients.map((c) => c.socket));
  await node?.stop();
  await cluster?.stop();
});

// ---- helpers ---------------------------------------------------------------

const nginxAddress = (k) => `127.0.0.${10 + (k % NGINX_ADDRESSES)}`;

// A client: {socket, via: 'nginx'|'direct', server? (direct: its instance), address? (nginx:
// where it comes from), transports, log: [{event, args}]}.
function makeClient(i) {
  const transports = [['polling'], ['websocket'], undefined][i % 3];
  const viaNginx = i % 2 === 0;
  const opts = { forceNew: true, reconnection: false, timeout: 20000, ...(transports ? { transports } : {}) };
  let url;
  const c = { i, transports: transports ? transports[0] : 'default', log: [] };
  if (viaNginx) {
    c.via = 'nginx';
    c.address = nginxAddress(i >> 1);
    const { ca } = cluster.nginx;
    // Every request of this client leaves from its own loopback address:
    // nginx hashes it to an instance (and keeps it there: long-polling).
    Object.assign(opts, { ca, agent: new https.Agent({ localAddress: c.address, ca }) });
    url = cluster.nginx.url;
  } else {
    c.via = 'direct';
    c.server = cluster.instances[(i >> 1) % cluster.instances.length];
    url = c.server.url;
  }
  c.socket = io(url, opts);
  c.socket.onAny((event, ...args) => c.log.push({ event, args }));
  return c;
}

function connected(c) {
  return new Promise((resolve, reject) => {
    if (c.socket.connected) return resolve();
    c.socket.once('connect', resolve);
    c.socket.once('connect_error', (e) => reject(new Error(`client ${c.i} (${c.via}, ${c.transports}): ${e.message}`)));
  });
}

const events = (c, name) => c.log.filter((e) => e.event === name);
const readings = (c, l) => events(c, 'new_sun_data').filter((e) => e.args[0]?.lux === l);
const label = (c) => `client ${c.i} (${c.via === 'nginx' ? `nginx from ${c.address}` : `instance on ${c.server.port}`}, ${c.transports})`;

async function postDirect(instance) {
  const body = { soc: 40 + (lux % 50), solar_w: 12.5, lux: ++lux };
  const r = await postJson(`${instance.url}/api/data/solar`, body);
  assert.equal(r.status, 201, r.text);
  return { lux: body.lux, data: sunFields(r.json.data) };
}

// POST through nginx from `address` (the hash picks the instance).
function postThroughNginx(address) {
  const body = JSON.stringify({ soc: 40 + (lux % 50), solar_w: 12.5, lux: ++lux });
  const l = lux;
  return new Promise((resolve, reject) => {
    const req = https.request(`${cluster.nginx.url}/api/data/solar`, {
      method: 'POST', ca: cluster.nginx.ca, localAddress: address, agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== 201) return reject(new Error(`POST through nginx from ${address}: ${res.statusCode} ${text}`));
        resolve({ lux: l, data: sunFields(JSON.parse(text).data) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Waits until each of `who` has received reading `p` (and checks its content).
async function allReceived(who, p, what) {
  await waitUntil(() => who.every((c) => readings(c, p.lux).length > 0), {
    what: `${what}: lux ${p.lux} at ${who.filter((c) => !readings(c, p.lux).length).map(label).join(', ')}`,
  });
  for (const c of who) assert.deepEqual(readings(c, p.lux)[0].args[0], p.data, label(c));
}

const live = () => clients.filter((c) => c.socket.connected);

// ---- the harness itself -------------------------------------------------------

test('harness: two Node servers with the official adapter deliver each other\'s broadcasts', async () => {
  const other = await startNodeSioServer({ redisUrl: cluster.redis.url });
  try {
    await other.emit({ event: 'harness', args: [{ from: 'other' }] });
    await waitUntil(async () => (await node.seen()).events.some((e) => e.event === 'harness'), { what: 'the broadcast' });
  } finally {
    await other.stop();
  }
});

// ---- one server for every client ---------------------------------------------------

test('100 clients through nginx and directly: every reading posted to any instance reaches each exactly once', async () => {
  for (let i = 0; i < CLIENTS; i++) clients.push(makeClient(i));
  await Promise.all(clients.map(connected));
  // nginx spread its clients: every instance holds some of them.
  const counts = await Promise.all(cluster.instances.map(async (s) => (await healthz(s)).realtime.socketio_clients));
  assert.equal(counts.reduce((a, b) => a + b, 0), CLIENTS, `clients per instance: ${counts}`);
  for (const [k, s] of cluster.instances.entries()) {
    const direct = clients.filter((c) => c.server === s).length;
    assert.ok(counts[k] > direct, `instance ${k + 1} holds ${counts[k]} clients, ${direct} of them direct: nginx spread its clients`);
  }
  const published0 = await Promise.all(cluster.instances.map((s) => metric(s, 'solgrid_redis_published_total')));

  const batch = [];
  for (const s of cluster.instances) batch.push(await postDirect(s));
  for (let k = 0; k < 3; k++) batch.push(await postThroughNginx(nginxAddress(k * 7)));
  for (const p of batch) {
    await allReceived(clients, p, 'every client');
    posts.push(p);
  }
  for (const c of clients) {
    for (const p of batch) {
      const got = readings(c, p.lux);
      assert.equal(got.length, 1, `${label(c)} got lux ${p.lux} ${got.length} times`);
      // connectionStateRecovery is on: the stream entry id comes last.
      assert.match(String(got[0].args.at(-1)), OFFSET, `${label(c)}: the offset`);
    }
  }
  // The Node server with the official adapter sees solgrid's events too.
  await waitUntil(async () => {
    const seen = (await node.seen()).events.filter((e) => e.event === 'new_sun_data');
    return batch.every((p) => seen.some((e) => e.args[0]?.lux === p.lux));
  }, { what: "solgrid's new_sun_data at the Node server's client" });
  const seen = (await node.seen()).events.filter((e) => e.event === 'new_sun_data');
  for (const p of batch) assert.deepEqual(seen.filter((e) => e.args[0]?.lux === p.lux).map((e) => e.args[0]), [p.data]);

  const published1 = await Promise.all(cluster.instances.map((s) => metric(s, 'solgrid_redis_published_total')));
  for (const k of published1.keys()) assert.ok(published1[k] > published0[k], `instance ${k + 1} published: ${published0[k]} → ${published1[k]}`);
  for (const s of cluster.instances) {
    assert.equal(await metric(s, 'solgrid_redis_connected'), 1);
    assert.ok(await metric(s, 'solgrid_redis_received_total') > 0);
    assert.deepEqual((await healthz(s)).redis, { connected: true });
  }
});

test("the Node server's broadcasts reach solgrid's clients: all, one room, except one, binary", async () => {
  assert.equal(clients.length, CLIENTS, 'the clients of the test before');
  // One target on each path: the room of its socket id is honoured on whichever instance holds it.
  const targets = [clients[0], clients[1], clients[5]];  // nginx polling, instance websocket, instance default
  const ids = targets.map((c) => c.socket.id);
  const bytes = Buffer.from([0, 1, 2, 127, 128, 250, 255]);
  await node.emit({ event: 'node_all', args: [{ from: 'node', n: 1 }] });
  await node.emit({ event: 'node_except', args: [{ n: 2 }], except: ids });
  await node.emit({ event: 'node_to', args: [{ n: 3 }], to: ids });
  await node.emit({ event: 'node_binary', args: [bytes, { label: 'bin' }] });
  // The stream is read in order: a client that has node_binary has had every earlier entry.
  await waitUntil(() => clients.every((c) => events(c, 'node_binary').length > 0), {
    what: `node_binary at ${clients.filter((c) => !events(c, 'node_binary').length).map(label).join(', ')}`,
  });
  for (const c of clients) {
    const target = targets.includes(c);
    const all = events(c, 'node_all');
    assert.equal(all.length, 1, label(c));
    assert.deepEqual(all[0].args[0], { from: 'node', n: 1 }, label(c));
    assert.match(String(all[0].args.at(-1)), OFFSET, `${label(c)}: the offset of the Node server's entry`);
    assert.equal(events(c, 'node_except').length, target ? 0 : 1, `${label(c)}: node_except`);
    assert.equal(events(c, 'node_to').length, target ? 1 : 0, `${label(c)}: node_to`);
    const bin = events(c, 'node_binary');
    assert.equal(bin.length, 1, label(c));
    const [payload, meta] = bin[0].args;
    assert.ok(Buffer.isBuffer(payload) || payload instanceof ArrayBuffer || ArrayBuffer.isView(payload),
      `${label(c)}: a binary argument arrives as binary, got ${JSON.stringify(payload)}`);
    assert.deepEqual(toBuffer(payload), bytes, label(c));
    assert.deepEqual(meta, { label: 'bin' }, label(c));
  }
});

test('SIGKILL of an instance: its clients reconnect through the others, recover their id and the missed readings', async () => {
  const counts = await Promise.all(cluster.instances.map(async (s) => (await healthz(s)).realtime.socketio_clients));
  const v = counts.indexOf(Math.max(...counts));
  const victim = cluster.instances[v];
  const survivors = cluster.instances.filter((s) => s !== victim);
  const dropped = [];
  for (const c of clients) c.socket.once('disconnect', (reason) => dropped.push({ c, reason, id: c.socket.id }));
  const ids = new Map(clients.map((c) => [c, c.socket.id]));

  await victim.stop({ keepDir: true, signal: 'SIGKILL' });
  await waitUntil(() => dropped.length >= counts[v], { what: `the ${counts[v]} clients of instance ${v + 1} to see it go` });
  const victims = dropped.map((d) => d.c);
  assert.equal(victims.length, counts[v]);
  assert.ok(victims.some((c) => c.via === 'nginx'), 'some victims came through nginx');
  assert.ok(victims.some((c) => c.server === victim), 'some victims were connected to it directly');
  for (const d of dropped) assert.ok(['transport close', 'transport error'].includes(d.reason), `${label(d.c)}: ${d.reason}`);

  // Readings posted while they are away: to each survivor, and through
  // nginx from an address that hashed to the dead instance (nginx moves on).
  const victimAddress = victims.find((c) => c.via === 'nginx').address;
  const missed = [];
  for (const s of survivors) missed.push(await postDirect(s));
  missed.push(await postThroughNginx(victimAddress));
  const stayed = clients.filter((c) => !victims.includes(c));
  for (const p of missed) await allReceived(stayed, p, 'the clients that stayed');

  // Back: through nginx again, or straight to the next live instance.
  for (const c of victims) {
    if (c.via === 'direct') {
      c.server = survivors[c.i % survivors.length];
      c.socket.io.uri = c.server.url;
    }
    c.socket.connect();
  }
  await Promise.all(victims.map(connected));
  for (const c of victims) {
    assert.equal(c.socket.recovered, true, `${label(c)} recovered its session`);
    assert.equal(c.socket.id, ids.get(c), `${label(c)} kept its id`);
  }
  for (const p of missed) {
    await allReceived(victims, p, 'the recovered clients');
    posts.push(p);
  }
  // And everyone is live: one more, through nginx from the dead instance's address.
  const after = await postThroughNginx(victimAddress);
  await allReceived(clients, after, 'every client after the failover');
  posts.push(after);
  for (const c of clients) {
    assert.ok(c.socket.connected, label(c));
    for (const p of [...missed, after]) assert.equal(readings(c, p.lux).length, 1, `${label(c)}: lux ${p.lux}`);
  }
  cluster.instances.splice(v, 1);  // the rest of the file uses the live ones
});

test('Redis stopped: each instance delivers its own posts locally; back: /metrics 1→0→1 and fan-out resumes', async () => {
  const up = cluster.instances;
  for (const s of up) {
    assert.equal(await metric(s, 'solgrid_redis_connected'), 1);
    assert.deepEqual((await healthz(s)).redis, { connected: true });
  }
  const failures0 = await Promise.all(up.map((s) => metric(s, 'solgrid_redis_publish_failures_total')));

  await cluster.redis.stop();
  await waitUntil(async () => (await Promise.all(up.map((s) => metric(s, 'solgrid_redis_connected')))).every((x) => x === 0),
    { what: 'solgrid_redis_connected 0 on every instance' });
  for (const s of up) assert.deepEqual((await healthz(s)).redis, { connected: false });

  // Each instance's own clients get its post; which instance an nginx client is on
  // is nginx's choice, so of those only: each got the post of one of them.
  const outage = [];
  for (const s of up) outage.push({ s, p: await postDirect(s) });
  for (const { s, p } of outage) {
    await allReceived(clients.filter((c) => c.server === s), p, `instance ${s.port}'s own clients`);
  }
  await waitUntil(() => clients.filter((c) => c.via === 'nginx').every((c) => outage.some(({ p }) => readings(c, p.lux).length)),
    { what: 'every nginx client to get the post of its instance' });
  const failures1 = await Promise.all(up.map((s) => metric(s, 'solgrid_redis_publish_failures_total')));
  for (const k of up.keys()) assert.ok(failures1[k] > failures0[k], `publish failures counted: ${failures0[k]} → ${failures1[k]}`);

  await cluster.redis.start();
  await waitUntil(async () => (await Promise.all(up.map((s) => metric(s, 'solgrid_redis_connected')))).every((x) => x === 1),
    { what: 'solgrid_redis_connected 1 again on every instance', timeout: 30000 });
  for (const s of up) assert.deepEqual((await healthz(s)).redis, { connected: true });
  // The read loop runs again too: a post to either instance reaches everyone.
  const resumed = [];
  for (const s of up) resumed.push(await postDirect(s));
  for (const p of resumed) {
    await allReceived(clients, p, 'every client after Redis came back');
    posts.push(p);
  }
  await waitUntil(async () => {
    const seen = (await node.seen()).events.filter((e) => e.event === 'new_sun_data');
    return resumed.every((p) => seen.some((e) => e.args[0]?.lux === p.lux));
  }, { what: "the Node server's client to see solgrid's readings after Redis came back" });
});

// The sessions are in the official adapter's format (sio:session:<pid>,
// base64 msgpack, PX expiry), so either implementation restores what the other stored.
test('recovery across implementations: a session the Node server stored recovers on solgrid, and the other way round', async () => {
  const [a, b] = cluster.instances;
  const sessionStored = (socket) => waitUntil(async () => {
    const { stdout } = await run('redis-cli', ['-u', cluster.redis.url, 'EXISTS', `sio:session:${socket._pid}`]);
    return stdout.trim() === '1';
  }, { what: `the session of ${socket.id} in Redis` });

  for (const [from, to, name] of [[node, a, 'Node → solgrid'], [a, node, 'solgrid → Node']]) {
    const c = { i: name, via: 'direct', server: from, transports: 'websocket', log: [] };
    c.socket = io(from.url, { forceNew: true, reconnection: false, transports: ['websocket'] });
    c.socket.onAny((event, ...args) => c.log.push({ event, args }));
    await connected(c);
    assert.ok(c.socket._pid, `${name}: the server offered recovery (a pid)`);
    const seen = await postDirect(b);
    await allReceived([c], seen, `${name}: a reading before the drop`);
    const id = c.socket.id;
    const gone = new Promise((r) => c.socket.once('disconnect', r));
    c.socket.io.engine.close();  // as a network failure: no Socket.IO DISCONNECT
    assert.notEqual(await gone, 'io client disconnect');
    await sessionStored(c.socket);
    const missed = await postDirect(b);
    c.socket.io.uri = to.url;
    c.socket.connect();
    await connected(c);
    assert.equal(c.socket.recovered, true, `${name}: recovered`);
    assert.equal(c.socket.id, id, `${name}: the same id`);
    await allReceived([c], missed, `${name}: the missed reading`);
    assert.equal(readings(c, missed.lux).length, 1);
    c.socket.disconnect();
  }
});

// bench/cluster's mode of build/sio-bench (counts only; figures are bench/'s business).
test('sio-bench over several instances: its clients spread over them, every reading to every client', async () => {
  const ports = cluster.instances.map((s) => s.port);
  const pids = cluster.instances.map((s) => s.child.pid);
  const { stdout } = await run(path.join(repoRoot, 'build/sio-bench'), [
    '--ports', ports.join(','), '--pid', pids.join(','), '--redis-pid', String(cluster.redis.pid),
    '--clients', '30', '--rate', '20', '--duration', '1', '--post-conns', String(ports.length), '--settle', '0.3',
  ], { timeout: 60000 });
  assert.match(stdout, /clients connected: 30 of 30 \(failed 0\)/);
  assert.match(stdout, new RegExp(`clients per port:${ports.map((p) => ` ${p} ${30 / ports.length}`).join('')}\n`), stdout);
  const m = stdout.match(/posts: (\d+) stored .*delivered (\d+) of (\d+) expected/);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) >= 15, stdout);
  assert.equal(Number(m[2]), Number(m[1]) * 30, stdout);
  assert.match(stdout, /server CPU: [\d.]+ s over [\d.]+ s = [\d.]+ us per delivered message/);
  assert.match(stdout, /redis CPU: [\d.]+ s = [\d.]+ us per event \(\d+ events\)/);
});

test('no client got any reading twice', () => {
  assert.ok(posts.length >= 12, `${posts.length} readings`);
  for (const c of clients) for (const p of posts) assert.equal(readings(c, p.lux).length, 1, `${label(c)}: lux ${p.lux}`);
});
