// MAX_CONNECTIONS (issue 14 item 5): every accepted TCP connection counts
// until it closes (keep-alive, WebSocket alike); one more gets 503
// {"success":false,"error":"too many connections"} and is closed, while the
// clients already in are untouched. The real binary, raw keep-alive sockets
// and the real socket.io-client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { exchange, request, parseResponses } from './lib/raw-http.mjs';
import { keepAlive } from './lib/keepalive.mjs';
import { connect, once, waitUntil, closeAll, sunFields } from './lib/sio.mjs';

const reading = (soc) => JSON.stringify({ soc, solar_w: 100.5, lux: 30000 });

// One GET /healthz on a fresh connection the server closes after answering.
async function freshAnswer(port) {
  const { data } = await exchange(port, request('GET', '/healthz', { Connection: 'close' }));
  const { responses } = parseResponses(data, ['GET']);
  return responses[0];
}

// A keep-alive connection that got in (a place just freed may take a moment
// to show: the server frees it after closing the socket).
async function admitted(port) {
  return waitUntil(async () => {
    const k = keepAlive(port);
    const r = await k.send('GET', '/healthz');
    if (r?.status === 200) return k;
    await k.close();
    return null;
  }, { what: 'a connection to be admitted' });
}

test('MAX_CONNECTIONS=5: the sixth connection gets 503, the five keep working, closing frees places', async () => {
  const server = await startServer({ env: { MAX_CONNECTIONS: '5' } });
  const sockets = [];
  const raws = [];
  try {
    const ws = await connect(server.url, { transports: ['websocket'] });  // 1: an upgraded WebSocket
    sockets.push(ws);
    for (let i = 0; i < 4; i++) {                                           // 2-5: idle keep-alive sockets
      const k = keepAlive(server.port);
      raws.push(k);
      const r = await k.send('GET', '/healthz');
      assert.equal(r?.status, 200);
    }
    const health = JSON.parse((await raws[0].send('GET', '/healthz')).body);
    assert.equal(health.connections.open, 5);

    // The sixth: 503 with the JSON body, Connection: close, Retry-After: 1.
    const refused = await freshAnswer(server.port);
    assert.equal(refused.status, 503);
    assert.deepEqual(JSON.parse(refused.body.toString()), { success: false, error: 'too many connections' });
    assert.equal(refused.headers.connection, 'close');
    assert.equal(refused.headers['retry-after'], '1');
    // A socket.io client is refused too (its handshake is an HTTP request).
    await assert.rejects(connect(server.url, { transports: ['polling'] }));

    // The ones already in are untouched: a request on an old keep-alive
    // socket works, and the WebSocket still gets new_sun_data.
    const got = once(ws, 'new_sun_data');
    const posted = await raws[1].send('POST', '/api/data/solar', reading(42));
    assert.equal(posted.status, 201);
    assert.deepEqual((await got)[0], sunFields(JSON.parse(posted.body).data));
    assert.equal((await raws[2].send('GET', '/healthz')).status, 200);

    // Close two keep-alive sockets: new connections are accepted again.
    await raws.shift().close();
    await raws.shift().close();
    await waitUntil(async () => (await freshAnswer(server.port))?.status === 200, { what: 'a free place' });
    raws.push(await admitted(server.port));
    raws.push(await admitted(server.port));
    assert.equal((await freshAnswer(server.port)).status, 503);  // full again

    // A WebSocket that closes frees its place too.
    ws.disconnect();
    await waitUntil(async () => (await freshAnswer(server.port))?.status === 200, { what: 'the WebSocket place' });
    await waitUntil(async () => JSON.parse((await raws[0].send('GET', '/healthz')).body).connections.open === 4,
      { what: 'four open connections: the keep-alive ones' });
  } finally {
    closeAll(sockets);
    await Promise.all(raws.map((k) => k.close()));
    await server.stop();
  }
});

test('a flood of 200 connections against MAX_CONNECTIONS=50: at most 50 in, the rest 503, the server and its clients carry on', async () => {
  const server = await startServer({ env: { MAX_CONNECTIONS: '50' } });
  const sockets = [];
  const flood = [];
  try {
    const ws = await connect(server.url, { transports: ['websocket'] });
    sockets.push(ws);
    for (let i = 0; i < 200; i++) flood.push(keepAlive(server.port));
    const answers = await Promise.all(flood.map((k) => k.send('GET', '/healthz')));
    const accepted = answers.filter((r) => r?.status === 200);
    const refused = answers.filter((r) => r?.status === 503);
    assert.ok(accepted.length >= 1, 'some got in');
    assert.ok(accepted.length <= 49, `${accepted.length} accepted beside the WebSocket: over the limit`);
    assert.equal(accepted.length + refused.length + answers.filter((r) => r === null).length, 200);
    for (const r of refused) assert.equal(JSON.parse(r.body).error, 'too many connections');
    for (const r of accepted) assert.ok(JSON.parse(r.body).connections.open <= 50);

    // The pre-existing socket.io client still receives events.
    const inside = flood[answers.findIndex((r) => r?.status === 200)];
    const got = once(ws, 'new_sun_data');
    const posted = await inside.send('POST', '/api/data/solar', reading(77));
    assert.equal(posted.status, 201);
    assert.deepEqual((await got)[0], sunFields(JSON.parse(posted.body).data));

    await Promise.all(flood.map((k) => k.close()));
    const health = await waitUntil(async () => {
      const r = await freshAnswer(server.port);
      const body = r?.status === 200 ? JSON.parse(r.body.toString()) : null;
      return body?.connections.open === 2 ? body : null;  // the WebSocket and this request
    }, { what: 'the flood to drain' });
    assert.equal(health.status, 'ok');
    assert.equal(ws.connected, true);
  } finally {
    closeAll(sockets);
    await Promise.all(flood.map((k) => k.close()));
    await server.stop();
  }
});
