// MQTT ingest with Home Assistant discovery (issue 14 part 7, docs/mqtt.md),
// with a real Debian `mosquitto` broker started here on 127.0.0.1 (an
// ephemeral port, its own config, stopped by PID), the real solgrid binary,
// the npm `mqtt` client as the device / Home Assistant, and the real
// socket.io-client as a dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startServer, postJson, getJson, solgridBin } from './lib/server.mjs';
import { freePort, waitFor, connectEvents, startSimulator } from './lib/device-sim.mjs';
import { call, login } from './lib/http.mjs';

// Starts mosquitto on 127.0.0.1:`port` (ephemeral unless given); `users`
// ({name: password}) turns anonymous access off and writes a password_file.
async function startBroker({ port, users, tls } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-mqtt-'));
  const brokerPort = port || await freePort();
  // `user`: started as root, mosquitto would drop to the mosquitto user, who cannot read this directory.
  const conf = [`listener ${brokerPort} 127.0.0.1`, `user ${userInfo().username}`, 'persistence false',
    'log_dest stderr', 'log_type all'];
  if (tls) conf.push(`certfile ${tls.cert}`, `keyfile ${tls.key}`);
  if (users) {
    const file = path.join(dir, 'passwords');
    let first = true;
    for (const [name, password] of Object.entries(users)) {
      execFileSync('mosquitto_passwd', first ? ['-b', '-c', file, name, password] : ['-b', file, name, password]);
      first = false;
    }
    conf.push('allow_anonymous false', `password_file ${file}`);
  } else {
    conf.push('allow_anonymous true');
  }
  writeFileSync(path.join(dir, 'mosquitto.conf'), conf.join('\n') + '\n');
  const child = spawn('/usr/sbin/mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  await waitFor(() => /Opening ipv4 listen socket on port/.test(output) || child.exitCode !== null,
    { what: 'mosquitto to listen' });
  if (child.exitCode !== null) throw new Error(`mosquitto exited:\n${output}`);
  return {
    port: brokerPort,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${brokerPort}`,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, signal);
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// An npm `mqtt` client that records every message it receives.
async function connectClient(url, opts = {}) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10000, ...opts });
  const messages = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, text: payload.toString(), retain: packet.retain }));
  return { client, messages, seen: (topic) => messages.filter((m) => m.topic === topic) };
}

// The server with MQTT_URL set, waiting until it says it is connected.
async function startWithBroker(broker, env = {}) {
  const server = await startServer({ env: { MQTT_URL: broker.url, DEVICE_INTERVAL_S: '0.5', ...env } });
  await waitFor(() => /MQTT: connected to/.test(server.output()), { what: 'solgrid to connect to the broker' });
  return server;
}

async function withSetup({ env = {}, users, events = [] } = {}, body) {
  const broker = await startBroker({ users });
  let server;
  let live;
  const clients = [];
  try {
    server = await startWithBroker(broker, env);
    live = events.length ? await connectEvents(server.url, events) : null;
    const connect = async (opts) => {
      const c = await connectClient(broker.url, opts);
      clients.push(c.client);
      return c;
    };
    await body({ broker, server, live, connect });
  } catch (e) {
    e.message += `\n--- solgrid log ---\n${server?.output() ?? ''}\n--- mosquitto log (tail) ---\n${broker.output().slice(-3000)}`;
    throw e;
  } finally {
    live?.close();
    for (const c of clients) c.end(true);
    await server?.stop();
    await broker.stop();
  }
}

const site = 'default';
const reading = { soc: 77, solar_w: 321.5, lux: 25000 };

test('telemetry over MQTT is stored and broadcast as new_sun_data; bad telemetry is dropped and named', async () => {
  await withSetup({ events: ['new_sun_data', 'device_status'] }, async ({ server, live, connect }) => {
    const device = await connect();
    await device.client.publishAsync(`solgrid/${site}/esp32-1/telemetry`, JSON.stringify(reading), { qos: 1 });
    const latest = await waitFor(async () => {
      const r = await getJson(`${server.url}/api/data/latest`);
      return r.status === 200 && r.json;
    }, { what: 'the MQTT reading to be stored' });
    assert.equal(latest.soc, 77);
    assert.equal(latest.solar_w, 321.5);
    assert.equal(latest.lux, 25000);
    const event = await waitFor(() => live.events.new_sun_data.find((e) => e.soc === 77), { what: 'new_sun_data' });
    assert.equal(event.solar_w, 321.5);
    // The same path as a sensor POST: the device is online, seen via MQTT.
    const health = (await getJson(`${server.url}/api/arduino/status`)).json;
    assert.equal(health.online, true);
    assert.equal(health.address, 'mqtt:esp32-1');

    // Bad payloads: nothing stored, a warning naming the problem, the server fine.
    const bad = [
      ['{"soc":150,"solar_w":1,"lux":1}', 'soc'],
      ['{"soc":50,"solar_w":-3,"lux":1}', 'solar_w'],
      ['{"soc": 85,', ''],
      ['\u0000\u00ff binary', ''],
      ['{"soc":50,"soc":51,"solar_w":1,"lux":1}', 'soc'],
    ];
    for (const [payload] of bad) await device.client.publishAsync(`solgrid/${site}/esp32-1/telemetry`, payload, { qos: 1 });
    // A good one after them proves they were all handled (in order) and the server is still fine.
    await device.client.publishAsync(`solgrid/${site}/esp32-1/telemetry`, JSON.stringify({ ...reading, soc: 78 }), { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/data/latest`)).json.soc === 78, { what: 'the good reading' });
    const from = new Date(Date.now() - 3600e3).toISOString();
    const to = new Date(Date.now() + 60e3).toISOString();
    const history = await getJson(`${server.url}/api/data/history?from=${from}&to=${to}&resolution=raw`);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.json.data.rows.map((r) => r.soc), [77, 78], 'only the two good readings are stored');
    assert.match(server.output(), /MQTT: dropped the message on solgrid\/default\/esp32-1\/telemetry: soc must be an integer between 0 and 100/);
    assert.ok(!live.events.new_sun_data.some((e) => e.soc === 150 || e.soc === 50), 'no event for a bad reading');
    assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
    // /metrics counts them: five refused, none dropped, connected.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^solgrid_mqtt_connected 1$/m);
    assert.match(metrics, /^solgrid_mqtt_messages_total\{result="refused"\} 5$/m);
    assert.match(metrics, /^solgrid_mqtt_messages_total\{result="dropped"\} 0$/m);
    assert.ok(Number(metrics.match(/^solgrid_mqtt_messages_total\{result="handled"\} (\d+)$/m)[1]) >= 2);
    assert.match(metrics, /^solgrid_readings_stored_total 2$/m);
  });
});

test('Home Assistant discovery: retained configs for the sensors and four switches, and solgrid online', async () => {
  await withSetup({}, async ({ connect }) => {
    const first = await connect();
    await first.client.subscribeAsync('homeassistant/#', { qos: 1 });
    await waitFor(() => first.messages.length >= 8, { what: 'the discovery configs at the broker' });
    // Home Assistant starting later finds them retained.
    const ha = await connect();
    await ha.client.subscribeAsync(['homeassistant/#', `solgrid/${site}/server/status`, `solgrid/${site}/relay/+/state`], { qos: 1 });
    const configs = await waitFor(() => {
      const c = ha.messages.filter((m) => m.topic.startsWith('homeassistant/'));
      return c.length >= 8 && c;
    }, { what: 'the retained discovery configs' });
    const switches = configs.filter((m) => m.topic.startsWith('homeassistant/switch/'));
    const sensors = configs.filter((m) => m.topic.startsWith('homeassistant/sensor/'));
    assert.equal(switches.length, 4);
    assert.ok(sensors.length >= 3, `sensors: ${sensors.map((s) => s.topic)}`);
    for (const m of configs) {
      assert.equal(m.retain, true, `${m.topic} is retained`);
      const c = JSON.parse(m.text);
      assert.equal(c.availability_topic, `solgrid/${site}/server/status`);
      assert.ok(c.unique_id && c.device?.identifiers?.length, m.text);
    }
    for (const letter of 'ABCD') {
      const s = switches.find((m) => m.topic === `homeassistant/switch/solgrid_${site}_relay_${letter}/config`);
      assert.ok(s, `switch ${letter}`);
      const c = JSON.parse(s.text);
      assert.equal(c.command_topic, `solgrid/${site}/relay/${letter}/set`);
      assert.equal(c.state_topic, `solgrid/${site}/relay/${letter}/state`);
    }
    const soc = JSON.parse(sensors.find((m) => m.topic === `homeassistant/sensor/solgrid_${site}_soc/config`).text);
    assert.equal(soc.unit_of_measurement, '%');
    assert.equal(soc.device_class, 'battery');
    assert.equal(soc.state_topic, `solgrid/${site}/state`);
    const solar = JSON.parse(sensors.find((m) => m.topic === `homeassistant/sensor/solgrid_${site}_solar_w/config`).text);
    assert.equal(solar.unit_of_measurement, 'W');
    assert.equal(solar.device_class, 'power');
    await waitFor(() => ha.seen(`solgrid/${site}/server/status`).some((m) => m.text === 'online'), { what: 'server online' });
    await waitFor(() => ha.seen(`solgrid/${site}/relay/A/state`).some((m) => m.text === 'OFF'), { what: 'relay A state' });
  });
});

test("solgrid's own status: offline (retained) after a clean stop, and its last will after a crash", async () => {
  const broker = await startBroker();
  const clients = [];
  const retainedStatus = async () => {
    const c = await connectClient(broker.url);
    clients.push(c.client);
    await c.client.subscribeAsync(`solgrid/${site}/server/status`, { qos: 1 });
    return waitFor(() => c.seen(`solgrid/${site}/server/status`).find((m) => m.retain), { what: 'the retained status' });
  };
  let server;
  try {
    server = await startWithBroker(broker);
    await waitFor(async () => (await retainedStatus()).text === 'online', { what: 'online' });
    await server.stop();
    assert.equal((await retainedStatus()).text, 'offline');
    server = await startWithBroker(broker);
    await waitFor(async () => (await retainedStatus()).text === 'online', { what: 'online again' });
    await server.stop({ signal: 'SIGKILL' });
    await waitFor(async () => (await retainedStatus()).text === 'offline', { what: 'the last will' });
  } catch (e) {
    e.message += `\n--- solgrid log ---\n${server?.output() ?? ''}`;
    throw e;
  } finally {
    for (const c of clients) c.end(true);
    await server?.stop();
    await broker.stop();
  }
});

test('relay switches reach the device on relay/set; its retained relay/state is the reported state', async () => {
  await withSetup({ events: ['relay_status_update'] }, async ({ server, live, connect }) => {
    const device = await connect();
    await device.client.subscribeAsync(`solgrid/${site}/esp32-1/relay/set`, { qos: 1 });
    // Telemetry makes it a command target (MQTT_DEVICE unset).
    await device.client.publishAsync(`solgrid/${site}/esp32-1/telemetry`, JSON.stringify(reading), { qos: 1 });
    await waitFor(() => device.seen(`solgrid/${site}/esp32-1/relay/set`).length, { what: 'the current command on first sight' });

    const r = await postJson(`${server.url}/api/relay/update`, { A: true, C: true });
    assert.equal(r.status, 200, r.text);
    const command = await waitFor(() => device.seen(`solgrid/${site}/esp32-1/relay/set`)
      .map((m) => JSON.parse(m.text)).find((c) => c.A === true && c.C === true), { what: 'relay/set with A and C on' });
    assert.deepEqual(Object.keys(command).sort(), ['A', 'B', 'C', 'D', 'version']);
    assert.equal(command.B, false);
    assert.ok(Number.isInteger(command.version) && command.version > 0);
    let status = (await getJson(`${server.url}/api/relay/status`)).json;
    assert.equal(status.pending, true, 'not yet confirmed by the device');

    // The device applies it and says so, retained.
    await device.client.publishAsync(`solgrid/${site}/esp32-1/relay/state`,
      JSON.stringify({ A: true, B: false, C: true, D: false, version: command.version }), { qos: 1, retain: true });
    status = await waitFor(async () => {
      const s = (await getJson(`${server.url}/api/relay/status`)).json;
      return s.pending === false && s;
    }, { what: 'the reported state' });
    assert.deepEqual(status.reported, { A: true, B: false, C: true, D: false });
    assert.equal(status.command, 'delivered');
    // The event travels on its own (a socket), so it may land just after the status answers.
    await waitFor(() => live.events.relay_status_update.some((e) => e.pending === false && e.A === true),
      { what: 'relay_status_update with the delivered state' });

    // A device that reports something else (a button on the box) is shown as it is.
    await device.client.publishAsync(`solgrid/${site}/esp32-1/relay/state`,
      JSON.stringify({ relays: { A: false, B: false, C: true, D: false } }), { qos: 1, retain: true });
    status = await waitFor(async () => {
      const s = (await getJson(`${server.url}/api/relay/status`)).json;
      return s.A === false && s;
    }, { what: 'the changed report' });
    assert.equal(status.pending, true);
    // A bad report is dropped and named.
    await device.client.publishAsync(`solgrid/${site}/esp32-1/relay/state`, '{"A":"yes"}', { qos: 1 });
    await waitFor(() => /MQTT: dropped the message on solgrid\/default\/esp32-1\/relay\/state/.test(server.output()),
      { what: 'the warning' });
  });
});

test('MQTT_DEVICE: commands go to that device, retained, before it ever spoke', async () => {
  await withSetup({ env: { MQTT_DEVICE: 'box7' } }, async ({ server, connect }) => {
    const watcher = await connect();
    await watcher.client.subscribeAsync(`solgrid/${site}/box7/relay/set`, { qos: 1 });
    const r = await postJson(`${server.url}/api/relay/update`, { D: true });
    assert.equal(r.status, 200, r.text);
    await waitFor(() => watcher.seen(`solgrid/${site}/box7/relay/set`).some((x) => JSON.parse(x.text).D === true),
      { what: 'the command at the broker' });
    // A device connecting later gets the retained command.
    const device = await connect();
    await device.client.subscribeAsync(`solgrid/${site}/box7/relay/set`, { qos: 1 });
    const m = await waitFor(() => device.seen(`solgrid/${site}/box7/relay/set`).find((x) => JSON.parse(x.text).D === true),
      { what: 'the retained command' });
    assert.equal(m.retain, true);
  });
});

test('the device last will (status offline) turns it offline; online turns it back', async () => {
  await withSetup({ events: ['device_status'] }, async ({ server, live, connect }) => {
    const statusTopic = `solgrid/${site}/esp32-2/status`;
    const device = await connect({ will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } });
    await device.client.publishAsync(statusTopic, 'online', { qos: 1, retain: true });
    await waitFor(async () => (await getJson(`${server.url}/api/arduino/status`)).json.online === true, { what: 'online' });
    // The device vanishes without a DISCONNECT: the broker sends its will.
    device.client.stream.destroy();
    const health = await waitFor(async () => {
      const s = (await getJson(`${server.url}/api/arduino/status`)).json;
      return s.status === 'offline' && s;
    }, { what: 'offline from the last will' });
    assert.equal(health.online, false);
    assert.ok(live.events.device_status.some((e) => e.status === 'offline'));
    const again = await connect();
    await again.client.publishAsync(statusTopic, 'online', { qos: 1, retain: true });
    await waitFor(async () => (await getJson(`${server.url}/api/arduino/status`)).json.online === true, { what: 'online again' });
  });
});

test('Home Assistant switch commands go through the relay service (relay_status_update, state topic)', async () => {
  await withSetup({ events: ['relay_status_update'] }, async ({ server, live, connect }) => {
    const ha = await connect();
    await ha.client.subscribeAsync(`solgrid/${site}/relay/B/state`, { qos: 1 });
    await ha.client.publishAsync(`solgrid/${site}/relay/B/set`, 'ON', { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/relay/status`)).json.desired?.B === true, { what: 'B on' });
    await waitFor(() => live.events.relay_status_update.some((e) => e.desired?.B === true), { what: 'relay_status_update' });
    await waitFor(() => ha.seen(`solgrid/${site}/relay/B/state`).some((m) => m.text === 'ON'), { what: 'B state ON' });
    await ha.client.publishAsync(`solgrid/${site}/relay/B/set`, 'OFF', { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/relay/status`)).json.desired?.B === false, { what: 'B off' });
    await ha.client.publishAsync(`solgrid/${site}/relay/B/set`, 'TOGGLE', { qos: 1 });
    await waitFor(() => /relay\/B\/set: command must be ON or OFF/.test(server.output()), { what: 'the bad command named' });
  });
});

test('with AUTH on, a Home Assistant command is audited as actor mqtt', async () => {
  const ADMIN_PASSWORD = 'admin-secret-123';
  await withSetup({ env: { AUTH: 'on', ADMIN_PASSWORD, MARKET_ENFORCE: 'off' } }, async ({ server, connect }) => {
    const admin = await login(server, 'admin', ADMIN_PASSWORD);
    const ha = await connect();
    await ha.client.publishAsync(`solgrid/${site}/relay/C/set`, 'ON', { qos: 1 });
    const entry = await waitFor(async () => {
      const r = await call(server, 'GET', '/api/audit', { cookie: admin.cookie });
      return r.json?.entries?.find((e) => e.actor === 'mqtt');
    }, { what: 'the audit row' });
    assert.equal(entry.action, 'relay.update');
    assert.equal(entry.target, 'C=on');
    assert.equal(entry.outcome, 'ok');
    const status = await call(server, 'GET', '/api/relay/status', { cookie: admin.cookie });
    assert.equal(status.json.desired.C, true);
  });
});

test('a Home Assistant ON the market refuses is logged and the state topic says OFF again', async () => {
  // Enforcement on: household A has no energy balance, so its relay stays off (as the REST 409).
  await withSetup({ env: { MARKET_ENFORCE: 'on' } }, async ({ server, connect }) => {
    const ha = await connect();
    await ha.client.subscribeAsync(`solgrid/${site}/relay/A/state`, { qos: 1 });
    await waitFor(() => ha.seen(`solgrid/${site}/relay/A/state`).length, { what: 'the retained state' });
    const before = ha.seen(`solgrid/${site}/relay/A/state`).length;
    const rest = await postJson(`${server.url}/api/relay/update`, { A: true });
    assert.equal(rest.status, 409, `REST refuses it too: ${rest.text}`);
    await ha.client.publishAsync(`solgrid/${site}/relay/A/set`, 'ON', { qos: 1 });
    await waitFor(() => /MQTT: Home Assistant command A=on refused: relay A stays off/.test(server.output()), { what: 'the refusal' });
    const republished = await waitFor(() => ha.seen(`solgrid/${site}/relay/A/state`).slice(before).find((m) => m.text === 'OFF'),
      { what: 'the state republished' });
    assert.equal(republished.text, 'OFF');
    assert.equal((await getJson(`${server.url}/api/relay/status`)).json.A, false);
  });
});

test('the broker going away: HTTP keeps answering, solgrid reconnects and ingests again', async () => {
  const broker = await startBroker();
  let server;
  let restarted;
  const clients = [];
  try {
    server = await startWithBroker(broker, {});
    await broker.stop('SIGKILL');
    await waitFor(() => /MQTT: connection lost/.test(server.output()), { what: 'the lost connection logged' });
    const mqttConnected = async () => Number((await (await fetch(`${server.url}/metrics`)).text()).match(/^solgrid_mqtt_connected (\d)$/m)[1]);
    assert.equal(await mqttConnected(), 0);
    // The outage does not touch HTTP.
    for (let i = 0; i < 5; i++) {
      const r = await postJson(`${server.url}/api/data/solar`, { soc: 40 + i, solar_w: 10, lux: 100 });
      assert.equal(r.status, 201);
    }
    assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
    restarted = await startBroker({ port: broker.port });
    await waitFor(() => (server.output().match(/MQTT: connected to/g) || []).length >= 2, { what: 'the reconnect', timeout: 60000 });
    await waitFor(async () => (await mqttConnected()) === 1, { what: 'solgrid_mqtt_connected 1 again' });
    const device = await connectClient(restarted.url);
    clients.push(device.client);
    await device.client.publishAsync(`solgrid/${site}/dev/telemetry`, JSON.stringify({ ...reading, soc: 12 }), { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/data/latest`)).json.soc === 12, { what: 'ingest after reconnect' });
    // Logged once per change, not once per retry.
    assert.equal((server.output().match(/MQTT: connection lost/g) || []).length, 1);
  } catch (e) {
    e.message += `\n--- solgrid log ---\n${server?.output() ?? ''}`;
    throw e;
  } finally {
    for (const c of clients) c.end(true);
    await server?.stop();
    await restarted?.stop();
    await broker.stop();
  }
});

test('a wrong MQTT password is logged and HTTP is unaffected; the right one connects', async () => {
  const broker = await startBroker({ users: { solgrid: 's3cret-pw', ha: 'ha-pw' } });
  let server;
  try {
    server = await startServer({ env: { MQTT_URL: broker.url, MQTT_USERNAME: 'solgrid', MQTT_PASSWORD: 'wrong' } });
    await waitFor(() => /MQTT: broker refused the connection: Connection Refused: not authorised/i.test(server.output()),
      { what: 'the refusal logged' });
    const r = await postJson(`${server.url}/api/data/solar`, reading);
    assert.equal(r.status, 201);
    assert.equal((await getJson(`${server.url}/api/data/latest`)).json.soc, 77);
    await server.stop();
    server = await startWithBroker(broker, { MQTT_USERNAME: 'solgrid', MQTT_PASSWORD: 's3cret-pw' });
    const device = await connectClient(broker.url, { username: 'ha', password: 'ha-pw' });
    await device.client.publishAsync(`solgrid/${site}/d/telemetry`, JSON.stringify({ ...reading, soc: 33 }), { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/data/latest`)).json.soc === 33, { what: 'ingest with auth' });
    device.client.end(true);
  } catch (e) {
    e.message += `\n--- solgrid log ---\n${server?.output() ?? ''}`;
    throw e;
  } finally {
    await server?.stop();
    await broker.stop();
  }
});

test('`solgrid simulate --mqtt`: its readings are stored, it obeys relay switches, its will marks it offline', async () => {
  await withSetup({ events: ['new_sun_data'] }, async ({ server, live, broker, connect }) => {
    const watcher = await connect();
    await watcher.client.subscribeAsync(`solgrid/${site}/sim7/#`, { qos: 1 });
    // --server points nowhere: everything must go over MQTT.
    const sim = await startSimulator({ server: 'http://127.0.0.1:9', args: ['--mqtt', broker.url, '--device', 'sim7'] });
    try {
      await waitFor(() => watcher.seen(`solgrid/${site}/sim7/status`).some((m) => m.text === 'online'),
        { what: 'the simulator online' });
      // Retained: a client that subscribes later is told too.
      const late = await connect();
      await late.client.subscribeAsync(`solgrid/${site}/sim7/status`, { qos: 1 });
      await waitFor(() => late.seen(`solgrid/${site}/sim7/status`).some((m) => m.text === 'online' && m.retain),
        { what: 'the retained online' });
      const first = await waitFor(async () => {
        const r = await getJson(`${server.url}/api/data/latest`);
        return r.status === 200 && r.json;
      }, { what: 'a simulated reading stored' });
      assert.ok(first.solar_w > 0 && Number.isInteger(first.soc));
      await waitFor(() => live.events.new_sun_data.length >= 2, { what: 'new_sun_data from the simulator' });
      assert.equal((await getJson(`${server.url}/api/arduino/status`)).json.address, 'mqtt:sim7');

      const r = await postJson(`${server.url}/api/relay/update`, { A: true, D: true });
      assert.equal(r.status, 200, r.text);
      const status = await waitFor(async () => {
        const s = (await getJson(`${server.url}/api/relay/status`)).json;
        return s.pending === false && s.A === true && s.D === true && s;
      }, { what: 'the simulator to apply and report A and D on' });
      assert.equal(status.command, 'delivered');
      const state = watcher.seen(`solgrid/${site}/sim7/relay/state`).map((m) => JSON.parse(m.text)).pop();
      assert.equal(state.A, true);
      assert.equal(state.D, true);
      assert.match(sim.output(), /relays A=on B=off C=off D=on \(from MQTT relay\/set\)/);

      // Killed without a goodbye: the broker publishes its will.
      await sim.stop('SIGKILL');
      await waitFor(async () => (await getJson(`${server.url}/api/arduino/status`)).json.status === 'offline',
        { what: 'offline after the simulator died' });
    } catch (e) {
      e.message += `\n--- simulator log ---\n${sim.output()}`;
      throw e;
    } finally {
      await sim.stop();
    }
  });
});

test('mqtts: verified against MQTT_CA_FILE; an untrusted broker certificate is logged, HTTP unaffected', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-mqtts-'));
  const cert = path.join(dir, 'broker.crt');
  const key = path.join(dir, 'broker.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'pipe' });
  const broker = await startBroker({ tls: { cert, key } });
  let server;
  try {
    // Not trusted by the system CAs: no connection, a log line, HTTP fine.
    server = await startServer({ env: { MQTT_URL: broker.url } });
    await waitFor(() => /MQTT: (cannot connect|connection lost)/.test(server.output()), { what: 'the TLS failure logged' });
    assert.doesNotMatch(server.output(), /MQTT: connected to/);
    assert.equal((await postJson(`${server.url}/api/data/solar`, reading)).status, 201);
    await server.stop();
    server = await startWithBroker(broker, { MQTT_CA_FILE: cert });
    assert.match(server.output(), /MQTT: connected to 127\.0\.0\.1:\d+ \(mqtts\)/);
    const device = await connectClient(broker.url, { ca: readFileSync(cert) });
    await device.client.publishAsync(`solgrid/${site}/tls-dev/telemetry`, JSON.stringify({ ...reading, soc: 21 }), { qos: 1 });
    await waitFor(async () => (await getJson(`${server.url}/api/data/latest`)).json.soc === 21, { what: 'ingest over mqtts' });
    device.client.end(true);
  } catch (e) {
    e.message += `\n--- solgrid log ---\n${server?.output() ?? ''}\n--- mosquitto ---\n${broker.output().slice(-2000)}`;
    throw e;
  } finally {
    await server?.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad MQTT_URL stops the start with a clear error', async () => {
  const { spawnSync } = await import('node:child_process');
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-mqtt-bad-'));
  try {
    for (const [env, name] of [[{ MQTT_URL: 'http://127.0.0.1:1883' }, /MQTT_URL/], [{ MQTT_URL: 'mqtt://127.0.0.1:99999' }, /MQTT_URL/],
      [{ MQTT_URL: 'mqtts://127.0.0.1:8883', MQTT_CA_FILE: path.join(dir, 'missing.pem') }, /MQTT_CA_FILE/],
      [{ MQTT_URL: 'mqtt://127.0.0.1:1883', SITE_ID: 'a/b' }, /SITE_ID/]]) {
      const r = spawnSync(solgridBin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
        cwd: dir, env: { PATH: process.env.PATH, AUTH: 'off', DB_PATH: path.join(dir, 'solgrid.db'), ...env },
        encoding: 'utf8', timeout: 15000,
      });
      assert.notEqual(r.status, 0, JSON.stringify(env));
      assert.match(r.stderr + r.stdout, name, JSON.stringify(env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
