// Misbehaving clients against `solgrid serve` (heartbeat 300/200 ms): one
// that stops answering pings is dropped, one that sends a malformed packet
// is closed — and in both cases only that client; the others, real
// socket.io-clients answering pings, stay connected and keep receiving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { connect, once, waitUntil, closeAll, sunFields } from './lib/sio.mjs';

let server;
const sockets = [];
const raws = [];
before(async () => {
  server = await startServer({ env: { PING_INTERVAL_MS: '300', PING_TIMEOUT_MS: '200' } });
});
after(async () => {
  closeAll(sockets);
  for (const ws of raws) ws.terminate();
  await server?.stop();
});

const wsUrl = () => `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`;

// A raw Engine.IO/Socket.IO client over `ws` that answers nothing by itself.
function rawClient() {
  const ws = new WebSocket(wsUrl());
  raws.push(ws);
  const messages = [];
  let closed = null;
  ws.on('message', (data, isBinary) => messages.push(isBinary ? data : data.toString()));
  ws.on('close', (code) => { closed = { code }; });
  ws.on('error', () => {});
  return { ws, messages, closed: () => closed };
}

async function sessions() {
  return (await getJson(`${server.url}/healthz`)).json.realtime.engineio_sessions;
}

// A well-behaved client that counts the pings it answered.
async function goodClient(transports) {
  const s = await connect(server.url, { transports });
  sockets.push(s);
  s.pings = 0;
  s.io.engine.on('ping', () => { s.pings++; });
  s.drops = [];
  s.on('disconnect', (r) => s.drops.push(r));
  return s;
}

test('a client that stops answering pings is dropped; clients that answer stay', async () => {
  const good = await Promise.all([goodClient(['websocket']), goodClient(['polling'])]);
  const raw = rawClient();
  await waitUntil(() => raw.messages.length >= 1, { what: 'the open packet' });
  const open = JSON.parse(raw.messages[0].slice(1));
  assert.equal(raw.messages[0][0], '0');
  assert.equal(open.pingInterval, 300);
  assert.equal(open.pingTimeout, 200);
  raw.ws.send('40');
  await waitUntil(() => raw.messages.some((m) => m.startsWith('40{')), { what: 'the CONNECT answer' });
  // It gets pings, answers none, and the server closes it.
  await waitUntil(() => raw.closed(), { what: 'the server to drop the silent client' });
  assert.ok(raw.messages.includes('2'), `got a ping first: ${raw.messages}`);

  // Meanwhile the good clients went through several heartbeats and stay.
  await waitUntil(() => good.every((s) => s.pings >= 3), { what: 'three heartbeats on the good clients' });
  for (const s of good) {
    assert.equal(s.connected, true);
    assert.deepEqual(s.drops, []);
  }
  const got = good.map((s) => once(s, 'new_sun_data'));
  const r = await postJson(`${server.url}/api/data/solar`, { soc: 85, solar_w: 120, lux: 35000 });
  for (const [d] of await Promise.all(got)) assert.deepEqual(d, sunFields(r.json.data));
  closeAll(good);
});

test('a polling client that stops polling is closed: its held GET gets the close packet', async () => {
  const get = (sid) => new Promise((resolve, reject) => {
    http.get(`${server.url}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
  const hs = await get();
  assert.equal(hs.status, 200);
  const { sid } = JSON.parse(hs.body.slice(1));
  assert.equal((await get(sid)).body, '2');  // the ping, never answered
  const held = await get(sid);
  assert.equal(held.status, 200);
  assert.equal(held.body, '1');              // closed with a close packet
  const after = await get(sid);
  assert.equal(after.status, 400);
  assert.deepEqual(JSON.parse(after.body), { code: 1, message: 'Session ID unknown' });
});

for (const transports of [['websocket'], ['polling']]) {
  test(`a malformed Socket.IO packet closes that client only (${transports[0]})`, async () => {
    const bystanders = await Promise.all([goodClient(['websocket']), goodClient(['polling'])]);
    const bad = await goodClient(transports);
    const gone = once(bad, 'disconnect');
    // An EVENT whose JSON never ends, straight onto the Engine.IO link.
    bad.io.engine.write('2["new_sun_data",{');
    const [reason] = await gone;
    assert.match(reason, /transport (close|error)/);
    // Everyone else is untouched and still receives.
    const got = bystanders.map((s) => once(s, 'new_sun_data'));
    const r = await postJson(`${server.url}/api/data/solar`, { soc: 42, solar_w: 1, lux: 2 });
    for (const [d] of await Promise.all(got)) assert.deepEqual(d, sunFields(r.json.data));
    for (const s of bystanders) assert.deepEqual(s.drops, []);
    closeAll([...bystanders, bad]);
  });
}

test('hostile frames and packets on a raw websocket close that connection only', async () => {
  const bystander = await goodClient(['websocket']);
  // Earlier tests closed their clients: the bystander is alone.
  await waitUntil(async () => (await sessions()) === 1, { what: 'the bystander to be the only session' });
  const cases = [
    { what: 'a reserved event name', send: (ws) => ws.send('42["connect"]') },
    { what: 'an unknown Engine.IO type', send: (ws) => ws.send('9') },
    { what: 'an attachment nobody announced', send: (ws) => ws.send(Buffer.from([1, 2, 3])) },
    { what: 'a CONNECT_ERROR from a client', send: (ws) => ws.send('44{"message":"x"}') },
    { what: 'invalid UTF-8 in a text frame', send: (ws) => ws._socket.write(maskedFrame(0x1, Buffer.from([0x34, 0xff]))) },
    { what: 'an unmasked frame', send: (ws) => ws._socket.write(Buffer.from([0x81, 0x02, 0x34, 0x78])) },
  ];
  for (const c of cases) {
    const raw = rawClient();
    await waitUntil(() => raw.messages.length >= 1, { what: `open (${c.what})` });
    raw.ws.send('40');
    await waitUntil(() => raw.messages.some((m) => typeof m === 'string' && m.startsWith('40{')), { what: `CONNECT (${c.what})` });
    c.send(raw.ws);
    await waitUntil(() => raw.closed(), { what: `the server to close on ${c.what}` });
  }
  assert.equal(bystander.connected, true);
  assert.deepEqual(bystander.drops, []);
  const got = once(bystander, 'new_sun_data');
  await postJson(`${server.url}/api/data/solar`, { soc: 43, solar_w: 1, lux: 2 });
  await got;
  await waitUntil(async () => (await sessions()) === 1, { what: 'every hostile connection to be gone' });
  closeAll([bystander]);
});

// A client frame written by hand (ws would refuse to send invalid UTF-8).
function maskedFrame(opcode, payload) {
  const mask = Buffer.from([1, 2, 3, 4]);
  const head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  return Buffer.concat([head, mask, body]);
}

test('limits from the environment: connect timeout and max payload', async () => {
  const limited = await startServer({ env: { CONNECT_TIMEOUT_MS: '300', MAX_PAYLOAD_BYTES: '1000' } });
  try {
    // A websocket that never joins a namespace is closed after the connect timeout.
    const ws = new WebSocket(`ws://127.0.0.1:${limited.port}/socket.io/?EIO=4&transport=websocket`);
    raws.push(ws);
    const messages = [];
    ws.on('message', (d) => messages.push(d.toString()));
    ws.on('error', () => {});
    const closed = new Promise((resolve) => ws.on('close', resolve));
    await waitUntil(() => messages.length >= 1, { what: 'the open packet' });
    assert.equal(JSON.parse(messages[0].slice(1)).maxPayload, 1000);
    await closed;
    assert.ok(!messages.some((m) => m.startsWith('40')));

    // A message over maxPayload ends that connection (websocket: close 1009).
    const s = await connect(limited.url, { transports: ['websocket'] });
    sockets.push(s);
    const gone = once(s, 'disconnect');
    s.emit('big', 'x'.repeat(2000));
    const [reason] = await gone;
    assert.match(reason, /transport (close|error)/);

    // Over polling: the POST is refused with 413 and the session closed.
    const hs = await new Promise((resolve, reject) => {
      http.get(`${limited.url}/socket.io/?EIO=4&transport=polling`, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const { sid } = JSON.parse(hs.slice(1));
    const post = await fetch(`${limited.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: 'POST', body: `42["big","${'x'.repeat(2000)}"]`,
    });
    assert.equal(post.status, 413);
    await post.text();
    const after = await fetch(`${limited.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(after.status, 400);
    assert.deepEqual(await after.json(), { code: 1, message: 'Session ID unknown' });
  } finally {
    await limited.stop();
  }
});
