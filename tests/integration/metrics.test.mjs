// GET /metrics (issue 14 item 4): the Prometheus text format, scraped from
// the real binary while real traffic moves it — REST requests by route and
// status, readings stored, Engine.IO sessions by transport and Socket.IO
// clients (the real socket.io-client), events and bytes sent, a slow client
// closed with its queue dropped, database commits, device health, relay
// command outcomes against a missing and then a present device (the real
// `solgrid simulate`), MAX_CONNECTIONS refusals, market orders and trades —
// and who may read it (AUTH on: a credential, or METRICS_PUBLIC=true).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, postJson, solgridBin } from './lib/server.mjs';
import { call, login, addUser } from './lib/http.mjs';
import { connect, once, waitUntil, closeAll } from './lib/sio.mjs';
import { startSimulator, freePort } from './lib/device-sim.mjs';
import { keepAlive } from './lib/keepalive.mjs';

const servers = [];
const sockets = [];
after(async () => {
  closeAll(sockets);
  for (const s of servers) await s.stop();
});

async function start(env) {
  const s = await startServer({ env });
  servers.push(s);
  return s;
}

// Parses the exposition text strictly: every sample belongs to a family
// announced by # HELP and # TYPE, names and labels follow Prometheus' rules,
// counters end in _total, histogram buckets are cumulative and end at +Inf
// with _count equal to it. Returns { value(name, labels), families }.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const families = new Map();
  const samples = new Map();
  const list = [];
  let current = null;
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = line.match(/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/))) {
      assert.ok(!families.has(m[1]), `family ${m[1]} announced twice`);
      current = { name: m[1], help: m[2], type: null };
      families.set(m[1], current);
      continue;
    }
    if ((m = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/))) {
      assert.equal(m[1], current?.name, `TYPE follows its HELP: ${line}`);
      current.type = m[2];
      if (m[2] === 'counter') assert.match(m[1], /_total$/, `counter ${m[1]} ends in _total`);
      continue;
    }
    m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|NaN|\+Inf|-Inf)$/);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, , labelText = '', raw] = m;
    const base = current?.type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
    assert.equal(base, current?.name, `sample ${name} under its family`);
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
    let consumed = 0;
    for (const l of labelText.matchAll(re)) {
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed += l[0].length;
    }
    assert.equal(consumed, labelText.length, `labels parse: ${labelText}`);
    const key = keyOf(name, labels);
    assert.ok(!samples.has(key), `sample ${key} appears once`);
    samples.set(key, Number(raw.replace('+Inf', 'Infinity')));
    list.push({ name, labels, value: samples.get(key) });
  }
  for (const f of families.values()) assert.ok(f.type, `${f.name} has a TYPE`);
  // Histograms: cumulative buckets, +Inf last and equal to _count.
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const series = new Map();
    for (const [key, v] of samples) {
      if (!key.startsWith(`${f.name}_bucket{`)) continue;
      const labels = JSON.parse(key.slice(key.indexOf('{')));
      const le = labels.le;
      delete labels.le;
      const id = JSON.stringify(labels);
      if (!series.has(id)) series.set(id, []);
      series.get(id).push([le === '+Inf' ? Infinity : Number(le), v]);
    }
    for (const [id, buckets] of series) {
      buckets.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${f.name} buckets cumulative`);
      assert.equal(buckets.at(-1)[0], Infinity);
      assert.equal(samples.get(keyOf(`${f.name}_count`, JSON.parse(id))), buckets.at(-1)[1], `${f.name}_count = +Inf bucket`);
    }
  }
  return {
    families,
    value: (name, labels = {}) => samples.get(keyOf(name, labels)),
    series: (name) => list.filter((x) => x.name === name),
  };
}

function keyOf(name, labels) {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
  return `${name}${JSON.stringify(sorted)}`;
}

async function scrape(server, opts = {}) {
  const r = await call(server, 'GET', '/metrics', opts);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(r.text);
}

const reading = (soc) => ({ soc, solar_w: 120.5, lux: 35000 });
const solarRoute = { method: 'POST', route: '/api/data/solar' };

test('AUTH=off: requests, readings, sessions, clients, events and commits move with real traffic', async () => {
  const server = await start({ AUTH: 'off' });
  const before = await scrape(server);
  const info = [...before.families.keys()];
  for (const name of ['solgrid_build_info', 'solgrid_http_requests_total', 'solgrid_http_request_duration_seconds',
    'solgrid_readings_stored_total', 'solgrid_engineio_sessions', 'solgrid_socketio_clients',
    'solgrid_socketio_events_emitted_total', 'solgrid_engineio_bytes_sent_total', 'solgrid_engineio_queue_drops_total',
    'solgrid_engineio_slow_client_disconnects_total', 'solgrid_db_commit_duration_seconds', 'solgrid_db_writes_total',
    'solgrid_device_online', 'solgrid_relay_commands_total', 'solgrid_market_orders_total', 'solgrid_market_trades_total',
    'solgrid_http_connections_open', 'process_resident_memory_bytes', 'process_cpu_seconds_total'])
    assert.ok(info.includes(name), `${name} is exposed`);
  assert.equal(before.value('solgrid_device_online'), 0);
  assert.equal(before.value('solgrid_device_last_seen_age_seconds'), undefined, 'no age before the first post');

  // Two real clients: one WebSocket, one long-polling.
  const ws = await connect(server.url, { transports: ['websocket'] });
  const poll = await connect(server.url, { transports: ['polling'] });
  sockets.push(ws, poll);
  const got = Promise.all([once(ws, 'new_sun_data'), once(poll, 'new_sun_data')]);
  for (const soc of [80, 81, 82]) assert.equal((await postJson(`${server.url}/api/data/solar`, reading(soc))).status, 201);
  assert.equal((await postJson(`${server.url}/api/data/solar`, { soc: 'full' })).status, 400);
  assert.equal((await call(server, 'GET', '/api/no/such/route')).status, 404);
  await got;
  // The third reading reached both clients before we look at the counters.
  await waitUntil(async () => {
    const m = await scrape(server);
    return m.value('solgrid_socketio_events_emitted_total', { event: 'new_sun_data' }) === 3 ? m : null;
  }, { what: 'three new_sun_data emitted' });
  const mid = await scrape(server);

  const d = (name, labels) => (mid.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
  assert.equal(d('solgrid_http_requests_total', { ...solarRoute, status: '201' }), 3);
  assert.equal(d('solgrid_http_requests_total', { ...solarRoute, status: '400' }), 1);
  assert.equal(d('solgrid_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.ok(mid.value('solgrid_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }) >= 1);
  assert.equal(d('solgrid_http_request_duration_seconds_count', solarRoute), 4);
  assert.ok(mid.value('solgrid_http_request_duration_seconds_sum', solarRoute) > 0);
  // The path a client asked for never becomes a label: only routes do.
  assert.equal(mid.value('solgrid_http_requests_total', { method: 'GET', route: '/api/no/such/route', status: '404' }), undefined);
  assert.equal(d('solgrid_readings_stored_total'), 3);
  assert.equal(mid.value('solgrid_engineio_sessions', { transport: 'websocket' }), 1);
  assert.equal(mid.value('solgrid_engineio_sessions', { transport: 'polling' }), 1);
  assert.equal(mid.value('solgrid_socketio_clients', { namespace: '/' }), 2);
  assert.ok(d('solgrid_engineio_packets_sent_total') >= 6, 'three events to two clients (plus the connect answers)');
  assert.ok(d('solgrid_engineio_bytes_sent_total') > 3 * 2 * 40);
  assert.ok(d('solgrid_db_commit_duration_seconds_count') >= 1);
  assert.ok(d('solgrid_db_writes_total', { result: 'committed' }) >= 3);
  assert.equal(d('solgrid_db_writes_total', { result: 'failed' }), 0);
  assert.equal(mid.value('solgrid_db_up'), 1);
  assert.equal(mid.value('solgrid_device_online'), 1, 'a sensor post is a sign of life');
  assert.ok(mid.value('solgrid_device_last_seen_age_seconds') >= 0);
  assert.ok(mid.value('solgrid_http_connections_open') >= 2, 'the WebSocket and this scrape');
  const [info1] = mid.series('solgrid_build_info');
  assert.equal(info1.value, 1);
  assert.equal(info1.labels.storage, 'sqlite');
  assert.match(info1.labels.version, /^\d+\.\d+\.\d+$/);
  assert.ok(info1.labels.compiler.length > 0);
  assert.ok(process_ok(mid));
  // One instance: it holds the roll-up lease (docs/run-once.md).
  await waitUntil(async () => (await scrape(server)).value('solgrid_aggregation_leader') === 1, { what: 'the roll-up lease held' });

  // A client that leaves: its session closes with the client's reason.
  ws.disconnect();
  const gone = await waitUntil(async () => {
    const m = await scrape(server);
    return m.value('solgrid_engineio_sessions', { transport: 'websocket' }) === 0 ? m : null;
  }, { what: 'the WebSocket session gone' });
  assert.equal(gone.value('solgrid_socketio_clients', { namespace: '/' }), 1);
  const closes = ['transport_close', 'client_close'].map((reason) => gone.value('solgrid_engineio_disconnects_total', { reason }));
  assert.ok(closes[0] + closes[1] >= 1, `a close counted: ${closes}`);
});

function process_ok(m) {
  assert.ok(m.value('process_resident_memory_bytes') > 1e6);
  assert.ok(m.value('process_open_fds') > 3);
  assert.ok(m.value('process_start_time_seconds') > 1.7e9);
  assert.ok(m.value('process_cpu_seconds_total') >= 0);
  return true;
}

test('a polling client that stops polling overflows MAX_QUEUED_PACKETS: slow-client disconnect and queue drops counted', async () => {
  const server = await start({ AUTH: 'off', MAX_QUEUED_PACKETS: '16' });
  // A raw Engine.IO v4 polling session joined to "/", then never polled again.
  const open = await call(server, 'GET', '/socket.io/?EIO=4&transport=polling');
  assert.equal(open.status, 200);
  const sid = JSON.parse(open.text.slice(1)).sid;
  const joined = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40' });
  assert.equal(joined.status, 200);
  await waitUntil(async () => (await scrape(server)).value('solgrid_socketio_clients', { namespace: '/' }) === 1,
    { what: 'the raw client connected to /' });
  for (let i = 0; i < 20; i++) assert.equal((await postJson(`${server.url}/api/data/solar`, reading(50 + i))).status, 201);
  const m = await waitUntil(async () => {
    const s = await scrape(server);
    return s.value('solgrid_engineio_slow_client_disconnects_total') === 1 ? s : null;
  }, { what: 'the slow client closed' });
  assert.ok(m.value('solgrid_engineio_queue_drops_total') >= 17, `dropped: ${m.value('solgrid_engineio_queue_drops_total')}`);
  assert.equal(m.value('solgrid_engineio_disconnects_total', { reason: 'slow_client' }), 1);
  assert.equal(m.value('solgrid_engineio_sessions', { transport: 'polling' }), 0);
  assert.equal(m.value('solgrid_socketio_clients', { namespace: '/' }), 0);
});

test('relay command outcomes: failed attempts while the device is away, delivered once it is there', async () => {
  const devicePort = await freePort();
  const server = await start({ AUTH: 'off', ARDUINO_URL: `http://127.0.0.1:${devicePort}`, DEVICE_RETRIES: '2',
    DEVICE_BACKOFF_MS: '50', DEVICE_TIMEOUT_MS: '500' });
  assert.equal((await postJson(`${server.url}/api/relay/update`, { A: true })).status, 200);
  const failed = await waitUntil(async () => {
    const m = await scrape(server);
    return m.value('solgrid_relay_commands_total', { outcome: 'given_up' }) >= 1 ? m : null;
  }, { what: 'the command given up' });
  assert.ok(failed.value('solgrid_relay_commands_total', { outcome: 'failed' }) >= 2);
  assert.equal(failed.value('solgrid_relay_commands_total', { outcome: 'delivered' }), 0);
  assert.equal(failed.value('solgrid_relay_on', { household: 'A' }), 1);
  assert.equal(failed.value('solgrid_relay_on', { household: 'B' }), 0);

  const sim = await startSimulator({ server: server.url, port: devicePort });
  try {
    assert.equal((await postJson(`${server.url}/api/relay/update`, { B: true })).status, 200);
    const ok = await waitUntil(async () => {
      const m = await scrape(server);
      return m.value('solgrid_relay_commands_total', { outcome: 'delivered' }) >= 1 && m.value('solgrid_device_online') === 1 ? m : null;
    }, { what: 'a command delivered and the device online' });
    assert.equal(ok.value('solgrid_relay_on', { household: 'B' }), 1);
    assert.ok(ok.value('solgrid_readings_stored_total') >= 1, 'the simulator posts readings');
  } finally {
    await sim.stop();
  }
});

test('MAX_CONNECTIONS: refusals are counted beside the open connections', async () => {
  const server = await start({ AUTH: 'off', MAX_CONNECTIONS: '2' });
  const a = keepAlive(server.port);
  const b = keepAlive(server.port);
  try {
    assert.equal((await a.send('GET', '/healthz'))?.status, 200);
    assert.equal((await b.send('GET', '/healthz'))?.status, 200);
    const refused = await call(server, 'GET', '/healthz', { headers: { Connection: 'close' } });
    assert.equal(refused.status, 503);
    const r = await a.send('GET', '/metrics');
    assert.equal(r.status, 200);
    const m = parseExposition(r.body.toString());
    assert.equal(m.value('solgrid_http_connections_open'), 2);
    assert.equal(m.value('solgrid_http_connections_max'), 2);
    assert.equal(m.value('solgrid_http_connections_total', { result: 'refused' }), 1);
    assert.ok(m.value('solgrid_http_connections_total', { result: 'accepted' }) >= 2);
  } finally {
    await a.close();
    await b.close();
  }
});

test('AUTH on: /metrics needs a credential unless METRICS_PUBLIC=true; market orders and trades are counted', async () => {
  const ADMIN_PASSWORD = 'admin-secret-123';
  const server = await start({ AUTH: 'on', ADMIN_PASSWORD });
  const anonymous = await call(server, 'GET', '/metrics');
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.json.success, false);
  const admin = await login(server, 'admin', ADMIN_PASSWORD);
  const a = await addUser(server, admin, 'alice', 'household', 'A');
  const b = await addUser(server, admin, 'bob', 'household', 'B');
  const viewer = await addUser(server, admin, 'vera', 'viewer');
  const before = await scrape(server, { cookie: viewer.cookie });

  // A sell with no energy behind it is refused (409).
  const refused = await call(server, 'POST', '/api/market/orders', { cookie: a.cookie, body: { side: 'sell', energy_wh: 100, price: 150 } });
  assert.equal(refused.status, 409, refused.text);
  const env = { PATH: process.env.PATH, DB_PATH: path.join(server.dir, 'solgrid.db') };
  execFileSync(solgridBin, ['ledger', 'adjust', 'A', '--energy-wh', '2000', '--money', '0', '--reason', 'opening A'], { env, cwd: server.dir });
  execFileSync(solgridBin, ['ledger', 'adjust', 'B', '--energy-wh', '0', '--money', '100000', '--reason', 'opening B'], { env, cwd: server.dir });
  await waitUntil(async () => (await call(server, 'GET', '/api/market/accounts', { cookie: b.cookie })).json.accounts.B.money === 100000,
    { what: 'adjustments picked up' });
  const sell = await call(server, 'POST', '/api/market/orders', { cookie: a.cookie, body: { side: 'sell', energy_wh: 1500, price: 150 } });
  assert.equal(sell.status, 201, sell.text);
  const buy = await call(server, 'POST', '/api/market/orders', { cookie: b.cookie, body: { side: 'buy', energy_wh: 1000, price: 160 } });
  assert.equal(buy.status, 201, buy.text);
  const after = await scrape(server, { cookie: viewer.cookie });
  const d = (name, labels) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
  assert.equal(d('solgrid_market_orders_total', { outcome: 'refused' }), 1);
  assert.equal(d('solgrid_market_orders_total', { outcome: 'accepted' }), 2);
  assert.equal(d('solgrid_market_trades_total'), 1);
  assert.equal(after.value('solgrid_market_open_orders'), 1, "the rest of A's sell");
  assert.equal(d('solgrid_http_requests_total', { method: 'POST', route: '/api/market/orders', status: '201' }), 2);
  assert.equal(d('solgrid_http_requests_total', { method: 'POST', route: '/api/market/orders', status: '409' }), 1);
  assert.equal(after.value('solgrid_http_requests_total', { method: 'GET', route: '/metrics', status: '401' }), 1);
  // A route with a parameter is one label, whatever the id.
  assert.equal((await call(server, 'DELETE', `/api/market/orders/${sell.json.order.id}`, { cookie: a.cookie })).status, 200);
  assert.equal((await call(server, 'DELETE', '/api/market/orders/999999', { cookie: a.cookie })).status, 404);
  const later = await scrape(server, { cookie: viewer.cookie });
  assert.equal(later.value('solgrid_http_requests_total', { method: 'DELETE', route: '/api/market/orders/{}', status: '200' }), 1);
  assert.equal(later.value('solgrid_http_requests_total', { method: 'DELETE', route: '/api/market/orders/{}', status: '404' }), 1);
  assert.equal(later.value('solgrid_market_orders_total', { outcome: 'cancelled' }), 1);

  const open = await start({ AUTH: 'on', ADMIN_PASSWORD, METRICS_PUBLIC: 'true' });
  const m = await scrape(open);
  assert.ok(m.value('process_resident_memory_bytes') > 0);
  // Everything else still needs a credential.
  assert.equal((await call(open, 'GET', '/api/market/orders')).status, 401);
});
