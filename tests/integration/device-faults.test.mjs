// Devices that misbehave: one that cannot be reached (a closed port) leads to
// retries and then a visible failed state; one that answers slowly (a tiny
// Node server that holds its replies) never delays anything else, and only
// the newest relay state is sent after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { freePort, waitFor, connectEvents } from './lib/device-sim.mjs';

test('an unreachable device is retried, then shown as failed with the reason', async (t) => {
  const closed = await freePort();  // nothing listens there
  const server = await startServer({
    env: { ARDUINO_URL: `http://127.0.0.1:${closed}`, DEVICE_RETRIES: '3', DEVICE_BACKOFF_MS: '20', DEVICE_TIMEOUT_MS: '500' },
  });
  const live = await connectEvents(server.url, ['relay_status_update']);
  try {
    // The start-up push fails too; wait for it to give up first.
    await waitFor(async () => (await getJson(`${server.url}/api/relay/status`)).json.command === 'failed',
      { what: 'the start-up push to fail' });
    const res = await postJson(`${server.url}/api/relay/update`, { B: true });
    assert.equal(res.status, 200, 'storing the desired state does not wait for the device');
    assert.equal(res.json.data.pending, true);
    assert.equal(res.json.data.desired.B, true);

    const failed = await waitFor(async () => {
      const s = (await getJson(`${server.url}/api/relay/status`)).json;
      return s.command === 'failed' && s.desired.B === true && s;
    }, { what: 'the command to fail' });
    assert.equal(failed.attempts, 3);
    assert.equal(failed.pending, true);
    assert.equal(failed.reported, null);
    assert.match(failed.error, /connect to 127\.0\.0\.1:\d+: Connection refused/);
    for (const k of ['A', 'B', 'C', 'D']) assert.equal(typeof failed[k], 'boolean');

    const check = (await getJson(`${server.url}/api/arduino/check`)).json;
    assert.equal(check.configured, true);
    assert.equal(check.reachable, false);
    assert.equal(check.latency_ms, null);
    assert.match(check.message, /Connection refused/);

    if (!live) return t.diagnostic('no /socket.io/ on this server yet: events not checked');
    const phases = live.events.relay_status_update.filter((u) => u.desired?.B === true).map((u) => u.command);
    assert.ok(phases.includes('retrying'), `retries were broadcast: ${phases}`);
    assert.equal(phases.at(-1), 'failed');
  } catch (e) {
    e.message += `\n--- server log ---\n${server.output()}`;
    throw e;
  } finally {
    live?.close();
    await server.stop();
  }
});

// A device that holds every request until the test releases it.
async function startSlowDevice() {
  const held = [];
  const relayBodies = [];
  const state = { A: false, B: false, C: false, D: false, version: 0 };
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/relay') relayBodies.push(JSON.parse(body));
      held.push(() => {
        if (req.url === '/relay') Object.assign(state, JSON.parse(body));
        const { version, ...relays } = state;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(req.url === '/relay' ? { relays, relay_version: version }
          : { device: 'slow-test-device', relays, relay_version: version }));
      });
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    held,
    relayBodies,
    releaseAll() { while (held.length) held.shift()(); },
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  };
}

test('a slow device never delays other requests, and the newest state wins', async () => {
  const device = await startSlowDevice();
  // One network thread: anything waiting on the device in a blocking way
  // would stall every request below.
  const server = await startServer({
    env: { ARDUINO_URL: device.url, THREADS: '1', DEVICE_TIMEOUT_MS: '60000', DEVICE_RETRIES: '1' },
  });
  const guard = { signal: AbortSignal.timeout(20000) };
  try {
    // The start-up push is held by the device.
    await waitFor(() => device.held.length === 1, { what: 'the start-up push to reach the device' });
    assert.equal(device.relayBodies.length, 1);

    const update = await postJson(`${server.url}/api/relay/update`, { A: true });
    assert.equal(update.status, 200);
    assert.equal(update.json.data.pending, true);
    // A probe of the slow device is in flight too.
    const check = getJson(`${server.url}/api/arduino/check`, guard);
    await waitFor(() => device.held.length === 2, { what: 'the probe to reach the device' });

    // With both held, everything else is answered.
    const posted = await postJson(`${server.url}/api/data/solar`, { soc: 77, solar_w: 10, lux: 800 });
    assert.equal(posted.status, 201);
    assert.deepEqual(posted.json.data.relays, { A: true, B: false, C: false, D: false });
    assert.equal((await getJson(`${server.url}/api/data/latest`, guard)).json.soc, 77);
    const during = (await getJson(`${server.url}/api/relay/status`, guard)).json;
    assert.equal(during.pending, true);
    assert.equal(during.command, 'sending');
    assert.equal((await getJson(`${server.url}/healthz`, guard)).status, 200);
    await postJson(`${server.url}/api/relay/update`, { B: true });
    await postJson(`${server.url}/api/relay/update`, { C: true });
    assert.equal(device.held.length, 2, 'nothing was answered by the device meanwhile');
    assert.equal(device.relayBodies.length, 1, 'one command in flight at a time');

    device.releaseAll();
    const probed = (await check).json;
    assert.equal(probed.reachable, true);
    assert.equal(probed.device.device, 'slow-test-device');

    // After the held command, only the newest state goes out.
    await waitFor(() => {
      device.releaseAll();
      return device.relayBodies.length >= 2;
    }, { what: 'the newest command' });
    await waitFor(async () => {
      device.releaseAll();
      const s = (await getJson(`${server.url}/api/relay/status`, guard)).json;
      return s.pending === false && s.command === 'delivered' && s;
    }, { what: 'the newest state delivered' });
    const last = device.relayBodies.at(-1);
    assert.deepEqual({ A: last.A, B: last.B, C: last.C, D: last.D }, { A: true, B: true, C: true, D: false });
    assert.equal(device.relayBodies.length, 2, 'the intermediate states were never sent');
    const shown = (await getJson(`${server.url}/api/relay/status`, guard)).json;
    assert.deepEqual({ A: shown.A, B: shown.B, C: shown.C, D: shown.D }, { A: true, B: true, C: true, D: false });
  } catch (e) {
    e.message += `\n--- server log ---\n${server.output()}`;
    throw e;
  } finally {
    device.releaseAll();
    await server.stop();
    await device.close();
  }
});
