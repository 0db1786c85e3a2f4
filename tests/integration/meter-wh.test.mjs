// meter_wh in the sensor post (issue 13): the real binary refuses a bad
// "meter_wh" with 400 naming the field and stores nothing; a good one (and
// the seed's post without it) gets 201. The real `solgrid simulate` sends its
// counters in every post and the server takes them; --no-meters (or
// SIM_NO_METERS=1) sends the seed's post.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, postJson, getJson } from './lib/server.mjs';
import { startSimulator, waitFor } from './lib/device-sim.mjs';

const reading = { soc: 61, solar_w: 120.5, lux: 35000 };

test('a bad meter_wh is refused with 400 naming the field; nothing is stored', async () => {
  const server = await startServer();
  try {
    const cases = [
      [[1, 2], 'meter_wh'],
      [1234.5, 'meter_wh'],
      [null, 'meter_wh'],
      ['A:5', 'meter_wh'],
      [{ E: 1 }, 'meter_wh.E'],
      [{ a: 1 }, 'meter_wh.a'],
      [{ A: 1, pool: 2 }, 'meter_wh.pool'],
      [{ A: -0.5 }, 'meter_wh.A'],
      [{ B: 1e13 }, 'meter_wh.B'],
      [{ C: '12' }, 'meter_wh.C'],
      [{ D: null }, 'meter_wh.D'],
      [{ A: true }, 'meter_wh.A'],
      [{ A: { wh: 1 } }, 'meter_wh.A'],
    ];
    for (const [meters, field] of cases) {
      const res = await postJson(`${server.url}/api/data/solar`, { ...reading, meter_wh: meters });
      assert.equal(res.status, 400, `${JSON.stringify(meters)}: ${res.text}`);
      assert.equal(res.json.success, false);
      assert.equal(res.json.field, field, JSON.stringify(meters));
      assert.match(res.json.error, new RegExp(field.replace('.', '\\.')), res.text);
    }
    // A number too big for a double is refused by the JSON reader, still a 400.
    const huge = await postJson(`${server.url}/api/data/solar`,
      '{"soc": 61, "solar_w": 1, "lux": 1, "meter_wh": {"A": 1e400}}');
    assert.equal(huge.status, 400, huge.text);
    assert.equal(huge.json.success, false);
    // None of them was stored.
    assert.equal((await getJson(`${server.url}/api/data/latest`)).status, 404);
  } finally {
    await server.stop();
  }
});

test('a good meter_wh, an empty one and none at all are accepted', async () => {
  const server = await startServer();
  try {
    for (const extra of [{ meter_wh: { A: 1234.5, B: 0, C: 7, D: 1e12 } }, { meter_wh: { B: 3 } }, { meter_wh: {} }, {}]) {
      const res = await postJson(`${server.url}/api/data/solar`, { ...reading, ...extra });
      assert.equal(res.status, 201, `${JSON.stringify(extra)}: ${res.text}`);
      assert.equal(res.json.success, true);
    }
    const latest = (await getJson(`${server.url}/api/data/latest`)).json;
    assert.equal(latest.soc, 61);
  } finally {
    await server.stop();
  }
});

test('the simulator posts its meters and the server takes them; --no-meters / SIM_NO_METERS=1 post none', async () => {
  const server = await startServer({ env: { DEVICE_INTERVAL_S: '0.3' } });
  let sim;
  let plain;
  try {
    // Relays on through the API so the households draw and the meters count.
    assert.equal((await postJson(`${server.url}/api/relay/update`, { A: true, C: true })).status, 200);
    sim = await startSimulator({ server: server.url, args: ['--speed', '600'] });
    const status = await waitFor(async () => {
      const s = (await getJson(`${sim.url}/status`)).json;
      return s.posts_ok >= 3 && s.meter_wh?.A > 0 && s;
    }, { what: 'the simulator posting with meters' });
    assert.equal(status.posts_failed, 0, sim.output());
    assert.deepEqual(Object.keys(status.meter_wh).sort(), ['A', 'B', 'C', 'D']);
    assert.ok(status.meter_wh.C > 0, JSON.stringify(status.meter_wh));
    assert.equal(status.meter_wh.B, 0);
    assert.equal(status.meter_wh.D, 0);
    await sim.stop();

    plain = await startSimulator({ server: server.url, args: ['--no-meters'] });
    const s2 = await waitFor(async () => {
      const s = (await getJson(`${plain.url}/status`)).json;
      return s.posts_ok >= 2 && s;
    }, { what: 'the simulator posting without meters' });
    assert.equal(s2.meter_wh, undefined);
    assert.equal(s2.posts_failed, 0);
    await plain.stop();

    // The same through the environment, as SIM_TOKEN works for --token.
    plain = await startSimulator({ server: server.url, env: { SIM_NO_METERS: '1' } });
    const s3 = await waitFor(async () => {
      const s = (await getJson(`${plain.url}/status`)).json;
      return s.posts_ok >= 1 && s;
    }, { what: 'the simulator posting with SIM_NO_METERS=1' });
    assert.equal(s3.meter_wh, undefined);
  } catch (e) {
    e.message += `\n--- server log ---\n${server.output()}\n--- simulator ---\n${sim?.output() ?? ''}${plain?.output() ?? ''}`;
    throw e;
  } finally {
    await sim?.stop();
    await plain?.stop();
    await server.stop();
  }
});
