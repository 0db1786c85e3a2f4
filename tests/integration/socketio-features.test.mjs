// Socket.IO features beyond the seed, through the real socket.io-client
// against build/sio-test-server (the real engineio/socketio classes with
// test handlers, see src/tools/sio_test_server.cpp): acknowledgements both
// ways, rooms, binary payloads both ways, the connection middleware,
// server-side disconnects, recovery after a server-side transport failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startTestServer, connect, once, waitUntil, closeAll, record, toBuffer } from './lib/sio.mjs';

let server;
const sockets = [];
before(async () => { server = await startTestServer({ args: ['--recovery-window', '60000'] }); });
after(async () => { closeAll(sockets); await server?.stop(); });

async function client(opts = {}) {
  const s = await connect(server.url, opts);
  sockets.push(s);
  return s;
}

// Emits with an acknowledgement; resolves with all of its arguments.
function ask(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(20000).emit(event, ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

for (const transports of [['polling'], ['websocket']]) {
  const t = transports[0];

  test(`client → server acknowledgement (${t})`, async () => {
    const s = await client({ transports });
    assert.deepEqual(await ask(s, 'echo', 1, 'two', { three: [3] }), [1, 'two', { three: [3] }]);
    assert.deepEqual(await ask(s, 'echo'), []);
    // Many in flight at once each get their own answer.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(s, 'echo', i)));
    assert.deepEqual(answers, Array.from({ length: 20 }, (_, i) => [i]));
    s.disconnect();
  });

  test(`server → client acknowledgement, answered and timed out (${t})`, async () => {
    const s = await client({ transports });
    s.on('question', (a, b, callback) => callback({ got: [a, b] }, 'second'));
    const [status, ...answer] = await ask(s, 'ask-client', { event: 'question', args: [1, 'two'], timeout_ms: 10000 });
    assert.deepEqual(status, { error: null });
    assert.deepEqual(answer, [{ got: [1, 'two'] }, 'second']);

    s.on('ignored', () => {});  // never calls the callback
    const [late] = await ask(s, 'ask-client', { event: 'ignored', timeout_ms: 200 });
    assert.deepEqual(late, { error: 'operation has timed out' });
    s.disconnect();
  });

  test(`binary payloads both ways (${t})`, async () => {
    const s = await client({ transports });
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    // client → server, and back in the acknowledgement
    const [a, b] = await ask(s, 'echo', bytes, { nested: [Buffer.from('hé'), 'text'] });
    assert.deepEqual(toBuffer(a), bytes);
    assert.deepEqual(toBuffer(b.nested[0]), Buffer.from('hé'));
    assert.equal(b.nested[1], 'text');
    // client → server, back as an event
    const back = once(s, 'binary-back');
    assert.deepEqual(await ask(s, 'echo-binary', 'label', bytes), ['done']);
    const [label, echoed] = await back;
    assert.equal(label, 'label');
    assert.deepEqual(toBuffer(echoed), bytes);
    // server-originated, large enough for an extended websocket length
    const big = once(s, 'binary');
    await ask(s, 'send-binary', 70000);
    const [msg] = await big;
    assert.equal(msg.n, 70000);
    const data = toBuffer(msg.data);
    assert.equal(data.length, 70000);
    for (const i of [0, 1, 255, 256, 69999]) assert.equal(data[i], i & 0xff);
    // binary in a server → client acknowledgement, answered with binary
    s.on('file?', (blob, callback) => callback(Buffer.concat([toBuffer(blob), Buffer.from([9])])));
    const [status, reply] = await ask(s, 'ask-client', { event: 'file?', timeout_ms: 10000 }, Buffer.from([7, 8]));
    assert.deepEqual(status, { error: null });
    assert.deepEqual(toBuffer(reply), Buffer.from([7, 8, 9]));
    s.disconnect();
  });
}

test('rooms: join, leave, to, except', async () => {
  const [a, b, c] = await Promise.all([client({ transports: ['websocket'] }), client({ transports: ['polling'] }), client()]);
  const logs = [a, b, c].map(record);
  assert.deepEqual(await ask(a, 'join', ['r1', 'r2']), [[a.id, 'r1', 'r2'].sort()]);
  assert.deepEqual(await ask(b, 'join', 'r1'), [[b.id, 'r1'].sort()]);
  assert.deepEqual(await ask(c, 'join', 'r2'), [[c.id, 'r2'].sort()]);

  let round = 0;
  const live = [true, true, true];
  // Broadcasts `spec`, then a marker to everyone; returns who got `spec`
  // (a client that got the marker but not `spec` was rightly skipped).
  async function who(spec) {
    const tag = `m${++round}`;
    for (const l of logs) l.length = 0;
    assert.deepEqual(await ask(c, 'broadcast', { event: 'news', args: [tag], ...spec }), ['done']);
    assert.deepEqual(await ask(c, 'broadcast', { event: 'marker', args: [tag] }), ['done']);
    await waitUntil(() => logs.every((l, i) => !live[i] || l.some((e) => e.event === 'marker' && e.args[0] === tag)),
      { what: `marker ${tag}` });
    return logs.map((l) => l.filter((e) => e.event === 'news').map((e) => e.args[0]));
  }
  const names = (got) => ['a', 'b', 'c'].filter((_, i) => got[i].length);

  assert.deepEqual(names(await who({ to: 'r1' })), ['a', 'b']);
  assert.deepEqual(names(await who({ to: 'r2' })), ['a', 'c']);
  const both = await who({ to: ['r1', 'r2'] });
  assert.deepEqual(names(both), ['a', 'b', 'c']);
  assert.equal(both[0].length, 1, 'a socket in both rooms gets it once');
  assert.deepEqual(names(await who({ except: 'r1' })), ['c']);
  assert.deepEqual(names(await who({ to: 'r2', except: 'r1' })), ['c']);
  assert.deepEqual(names(await who({ to: b.id })), ['b']);
  assert.deepEqual(names(await who({ to: 'nobody-here' })), []);
  assert.deepEqual(names(await who({})), ['a', 'b', 'c']);

  assert.deepEqual(await ask(a, 'leave', 'r1'), [[a.id, 'r2'].sort()]);
  assert.deepEqual(names(await who({ to: 'r1' })), ['b']);
  // A disconnected socket is in no room any more.
  const bid = b.id;
  b.disconnect();
  live[1] = false;
  await waitUntil(async () => !(await server.stats(bid)).connected, { what: 'b to be gone' });
  assert.deepEqual(names(await who({ to: 'r1' })), []);
  closeAll([a, c]);
});

test('the connection middleware refuses a bad token with its data, accepts a good one', async () => {
  // The middleware guards /private only.
  (await client({ transports: ['websocket'], auth: { token: 'wrong' } })).disconnect();
  const s = io(`${server.url}/private`, { forceNew: true, reconnection: false, auth: { token: 'wrong' } });
  sockets.push(s);
  const [err] = await once(s, 'connect_error');
  assert.equal(err.message, 'unauthorized');
  assert.deepEqual(err.data, { reason: 'bad token' });
  s.disconnect();
  const ok = io(`${server.url}/private`, { forceNew: true, reconnection: false, auth: { token: 'letmein' } });
  sockets.push(ok);
  const [welcome] = await once(ok, 'welcome');
  assert.equal(welcome.nsp, '/private');
  assert.equal(welcome.id, ok.id);
  ok.disconnect();
  // An unknown namespace is refused too.
  const nowhere = io(`${server.url}/nowhere`, { forceNew: true, reconnection: false });
  sockets.push(nowhere);
  const [e2] = await once(nowhere, 'connect_error');
  assert.equal(e2.message, 'Invalid namespace');
  nowhere.disconnect();
});

for (const [closeConnection, transports] of [[false, ['websocket']], [true, ['websocket']], [true, ['polling']]]) {
  test(`a server-side disconnect (close connection: ${closeConnection}, ${transports[0]}) is final for the client`, async () => {
    const s = await client({ transports, reconnection: true, reconnectionDelay: 50 });
    const drops = [];
    s.on('disconnect', (r) => drops.push(r));
    let reconnects = 0;
    s.io.on('reconnect_attempt', () => { reconnects++; });
    s.emit('kick', closeConnection);
    await waitUntil(() => drops.length >= 1, { what: 'the disconnect' });
    // Give a reconnection attempt (50 ms away) every chance to show up: it must not.
    await new Promise((r) => setTimeout(r, 500));
    // Only the server's DISCONNECT, not a network failure first (which would reconnect).
    assert.deepEqual(drops, ['io server disconnect']);
    assert.equal(reconnects, 0);
    assert.equal(s.connected, false);
  });
}

test('recovery after a server-side transport failure: same id, rooms kept, missed events replayed', async () => {
  const s = await client({ transports: ['websocket'] });
  const id = s.id;
  await ask(s, 'join', 'team');
  const seen = [];
  s.on('news', (x) => seen.push(x));
  await server.emit({ event: 'news', args: ['before'] });
  await waitUntil(() => seen.length === 1, { what: 'the first event' });

  const gone = once(s, 'disconnect');
  s.emit('drop-transport');
  const [reason] = await gone;
  assert.equal(reason, 'transport close');
  await waitUntil(async () => !(await server.stats(id)).connected, { what: 'the server to see the drop' });
  await server.emit({ event: 'news', args: ['while away, to all'] });
  await server.emit({ event: 'news', args: ['while away, to the team'], to: 'team' });
  await server.emit({ event: 'news', args: ['while away, elsewhere'], to: 'other' });

  const hello = once(s, 'welcome');
  s.connect();
  const [welcome] = await hello;
  assert.equal(s.recovered, true);
  assert.equal(s.id, id);
  assert.equal(welcome.recovered, true);
  assert.ok(welcome.rooms.includes('team'));
  await waitUntil(() => seen.length === 3, { what: 'the missed events' });
  assert.deepEqual(seen, ['before', 'while away, to all', 'while away, to the team']);
  s.disconnect();
});
