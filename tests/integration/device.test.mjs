// The server and the real `solgrid simulate` end to end: readings arrive and
// are broadcast; relay changes reach the simulator (pushed to ARDUINO_URL, or
// through sensor-post replies) and come back as its reported state; a stopped
// simulator turns offline and online again; the check button probes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { startSimulator, freePort, waitFor, connectEvents } from './lib/device-sim.mjs';

// A fast device: posts every 0.3 s, offline after 2 missed posts.
const fast = { DEVICE_INTERVAL_S: '0.3', DEVICE_OFFLINE_AFTER: '2', DEVICE_TIMEOUT_MS: '1000' };

async function withServerAndSimulator({ pushToDevice = true, env = {} } = {}, body) {
  const simPort = await freePort();
  const server = await startServer({
    env: { ...fast, ...(pushToDevice ? { ARDUINO_URL: `http://127.0.0.1:${simPort}` } : {}), ...env },
  });
  const live = connectEvents(server.url, ['new_sun_data', 'relay_status_update', 'device_status']);
  let sim;
  let events;
  try {
    events = await live;
    sim = await startSimulator({ server: server.url, port: simPort });
    await body({ server, sim, simPort, events });
  } catch (e) {
    e.message += `\n--- server log ---\n${server.output()}\n--- simulator log ---\n${sim?.output() ?? ''}`;
    throw e;
  } finally {
    events?.close();
    await sim?.stop();
    await server.stop();
  }
}

const latest = async (server) => (await getJson(`${server.url}/api/data/latest`)).json;
const relays = async (server) => (await getJson(`${server.url}/api/relay/status`)).json;
const simStatus = async (sim) => (await getJson(`${sim.url}/status`)).json;

test('simulated readings arrive, are plausible, and are broadcast', async (t) => {
  await withServerAndSimulator({}, async ({ server, events }) => {
    const first = await waitFor(async () => {
      const r = await getJson(`${server.url}/api/data/latest`);
      return r.status === 200 && r.json;
    }, { what: 'a first reading' });
    const later = await waitFor(async () => {
      const r = await latest(server);
      return r.timestamp !== first.timestamp && r;
    }, { what: 'a second reading' });
    for (const r of [first, later]) {
      assert.ok(Number.isInteger(r.soc) && r.soc >= 0 && r.soc <= 100, `soc ${r.soc}`);
      // Noon (--start-hour 12): the sun is up, and the light sensor agrees with the panel.
      assert.ok(r.solar_w > 0 && r.solar_w <= 1650, `solar_w ${r.solar_w}`);
      assert.ok(r.lux > 0, `lux ${r.lux}`);
      const luxPerWatt = r.lux / r.solar_w;
      assert.ok(luxPerWatt > 60 && luxPerWatt < 100, `lux/W ${luxPerWatt}`);
    }
    const health = (await getJson(`${server.url}/api/arduino/status`)).json;
    assert.equal(health.online, true);
    assert.equal(health.status, 'online');
    assert.equal(health.address, '127.0.0.1');
    assert.ok(health.posts >= 2);
    assert.ok(!Number.isNaN(Date.parse(health.last_seen)));

    if (!events) return t.diagnostic('no /socket.io/ on this server yet: events not checked');
    await waitFor(() => events.events.new_sun_data.length >= 1, { what: 'new_sun_data' });
    const e = events.events.new_sun_data.at(-1);
    assert.deepEqual(Object.keys(e).sort(), ['lux', 'soc', 'solar_w', 'timestamp']);
    await waitFor(() => events.events.device_status.some((d) => d.online === true), { what: 'device_status online' });
  });
});

test('a relay change is pushed to the simulator and comes back as its reported state', async (t) => {
  await withServerAndSimulator({}, async ({ server, sim, events }) => {
    // The start-up push leaves the device and the server agreeing.
    await waitFor(async () => (await relays(server)).command === 'delivered', { what: 'the start-up push' });
    const res = await postJson(`${server.url}/api/relay/update`, { B: true });
    assert.equal(res.status, 200);
    assert.equal(res.json.data.desired.B, true);

    const dev = await waitFor(async () => {
      const s = await simStatus(sim);
      return s.relays.B === true && s;
    }, { what: 'B on in the simulator' });
    assert.deepEqual(dev.relays, { A: false, B: true, C: false, D: false });

    const shown = await waitFor(async () => {
      const s = await relays(server);
      return s.B === true && s.pending === false && s;
    }, { what: 'B reported on' });
    assert.equal(shown.command, 'delivered');
    assert.deepEqual(shown.reported, { A: false, B: true, C: false, D: false });
    assert.equal(dev.relay_version, shown.version);

    // And off again.
    await postJson(`${server.url}/api/relay/update`, { B: false });
    await waitFor(async () => (await simStatus(sim)).relays.B === false, { what: 'B off in the simulator' });
    await waitFor(async () => {
      const s = await relays(server);
      return s.B === false && !s.pending;
    }, { what: 'B reported off' });

    if (!events) return t.diagnostic('no /socket.io/ on this server yet: events not checked');
    const updates = events.events.relay_status_update;
    const on = updates.findIndex((u) => u.B === true && u.pending === false);
    assert.ok(on >= 0, 'an update with B reported on');
    assert.ok(updates.slice(on).some((u) => u.B === false && u.pending === false), 'then B reported off');
  });
});

test('behind NAT (no ARDUINO_URL) the simulator converges through sensor-post replies', async () => {
  await withServerAndSimulator({ pushToDevice: false }, async ({ server, sim }) => {
    // Once the device has reported its relays, clients see its state.
    await waitFor(async () => 'reported' in (await relays(server)), { what: 'the device reporting' });
    const res = await postJson(`${server.url}/api/relay/update`, { C: true, D: true });
    assert.equal(res.status, 200);
    assert.equal(res.json.data.command, 'none');  // nothing to push to

    // The next reply to its post carries the desired state.
    await waitFor(async () => (await simStatus(sim)).relays.C === true, { what: 'C on in the simulator' });
    const post = await postJson(`${server.url}/api/data/solar`, { soc: 50, solar_w: 1, lux: 2 });
    assert.deepEqual(post.json.data.relays, { A: false, B: false, C: true, D: true });
    assert.equal(typeof post.json.data.relay_version, 'number');
    const shown = await waitFor(async () => {
      const s = await relays(server);
      return s.C === true && s.D === true && s.pending === false && s;
    }, { what: 'C and D reported on' });
    assert.deepEqual(shown.reported, { A: false, B: false, C: true, D: true });

    const check = (await getJson(`${server.url}/api/arduino/check`)).json;
    assert.equal(check.configured, false);
    assert.equal(check.reachable, false);
    assert.equal(check.message, 'ARDUINO_URL not configured');
    assert.equal(check.online, true);
    assert.ok(check.last_seen);
  });
});

test('a stopped simulator turns offline, and online again when restarted', async (t) => {
  await withServerAndSimulator({}, async ({ server, sim, simPort, events }) => {
    const status = async () => (await getJson(`${server.url}/api/arduino/status`)).json;
    await waitFor(async () => (await status()).online === true, { what: 'online' });
    await sim.stop();
    const off = await waitFor(async () => {
      const s = await status();
      return s.online === false && s;
    }, { what: 'offline after the simulator stopped' });
    assert.equal(off.status, 'offline');
    assert.ok(off.seconds_since_seen >= 0.6, `offline only after 2 × 0.3 s (${off.seconds_since_seen})`);

    const check = (await getJson(`${server.url}/api/arduino/check`)).json;
    assert.equal(check.configured, true);
    assert.equal(check.reachable, false);
    assert.match(check.message, /refused|no answer/);

    const again = await startSimulator({ server: server.url, port: simPort });
    try {
      await waitFor(async () => (await status()).online === true, { what: 'online after the restart' });
    } finally {
      await again.stop();
    }

    if (!events) return t.diagnostic('no /socket.io/ on this server yet: events not checked');
    const seq = events.events.device_status.map((d) => d.status);
    const offAt = seq.indexOf('offline', seq.indexOf('online'));
    assert.ok(offAt > 0, `device_status went offline: ${seq}`);
    assert.ok(seq.indexOf('online', offAt) > offAt, `and online again: ${seq}`);
  });
});

test('the check button probes the device and shows its own report', async () => {
  await withServerAndSimulator({}, async ({ server, sim, simPort }) => {
    const r = await getJson(`${server.url}/api/arduino/check`);
    assert.equal(r.status, 200);
    assert.equal(r.json.configured, true);
    assert.equal(r.json.url, `http://127.0.0.1:${simPort}`);
    assert.equal(r.json.reachable, true);
    assert.equal(typeof r.json.latency_ms, 'number');
    assert.equal(r.json.device.device, 'solgrid-simulator');
    assert.deepEqual(Object.keys(r.json.device.relays).sort(), ['A', 'B', 'C', 'D']);

    // The simulator's own API says what is wrong with a bad command.
    const bad = await postJson(`${sim.url}/relay`, { B: 'yes' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'B');
    assert.equal((await postJson(`${sim.url}/relay`, '{"B":')).status, 400);
    assert.equal((await getJson(`${sim.url}/nowhere`)).status, 404);
  });
});

test('a sensor post with a malformed relays field is a 400 naming it, and nothing is stored', async () => {
  const server = await startServer();
  try {
    for (const relaysField of ['on', { A: true }, { A: 'yes', B: false, C: false, D: false }]) {
      const r = await postJson(`${server.url}/api/data/solar`, { soc: 50, solar_w: 1, lux: 1, relays: relaysField });
      assert.equal(r.status, 400, JSON.stringify(relaysField));
      assert.equal(r.json.field, 'relays');
    }
    const bad = await postJson(`${server.url}/api/data/solar`,
      { soc: 50, solar_w: 1, lux: 1, relays: { A: true, B: false, C: false, D: false }, relay_version: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'relay_version');
    assert.equal((await getJson(`${server.url}/api/data/latest`)).status, 404);
    // The seed's body alone still works, and its reply now carries the desired relays.
    const ok = await postJson(`${server.url}/api/data/solar`, { soc: 50, solar_w: 1, lux: 1 });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.json.data.relays, { A: false, B: false, C: false, D: false });
    // No device has reported relays: the seed's exact relay payload.
    assert.deepEqual(Object.keys((await getJson(`${server.url}/api/relay/status`)).json).sort(), ['A', 'B', 'C', 'D']);
  } finally {
    await server.stop();
  }
});
