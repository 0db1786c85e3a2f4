// Settlement through the real binary (issue 13): sensor posts credit solar to
// the households by MARKET_SHARES and debit their metered use (meter_wh), or
// estimate it from the battery's discharge among the households whose relays
// are on; the statement and the ledger agree, and `solgrid ledger verify`
// passes. AUTH=off (the seed's open mode: no logins needed, no enforcement).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, postJson, getJson, solgridBin } from './lib/server.mjs';
import { waitUntil } from './lib/sio.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const statement = async (s, h) => (await getJson(`${s.url}/api/market/statement?household=${h}`)).json.totals;
const accounts = async (s) => (await getJson(`${s.url}/api/market/accounts`)).json.accounts;

test('metered: solar is credited by share and each meter delta is debited from its household', async () => {
  const s = await startServer({ env: { MARKET_SHARES: 'A:50,B:25,C:25', HOUSEHOLD_NOMINAL_W: '500' } });
  servers.push(s);
  const post = (meters) => postJson(`${s.url}/api/data/solar`, { soc: 60, solar_w: 72000, lux: 1000, meter_wh: meters });
  const first = await post({ A: 100, B: 50, C: 0, D: 7 });  // baseline
  assert.equal(first.status, 201, first.text);
  await sleep(1200);
  assert.equal((await post({ A: 103, B: 50.5, C: 2, D: 7 })).status, 201);
  await sleep(1200);
  const last = await post({ A: 104, B: 51.5, C: 2, D: 9 });
  assert.equal(last.status, 201);
  // 72 kW for the time between the first and last reading: A gets half, B and C a quarter, D nothing.
  const seconds = (Date.parse(last.json.data.timestamp) - Date.parse(first.json.data.timestamp)) / 1000;
  const solar = (72000 * seconds) / 3600;
  // Settled up to the last reading (the second alone already credits some
  // solar; A's meter reaches 104 Wh only with the last).
  const a = await waitUntil(async () => { const t = await statement(s, 'A'); return t.consumed_wh >= 4 && t; }, { what: 'settled' });
  const b = await statement(s, 'B');
  const c = await statement(s, 'C');
  const d = await statement(s, 'D');
  assert.ok(Math.abs(a.solar_wh - solar / 2) <= 1, `A credited ${a.solar_wh} Wh of ${solar / 2}`);
  assert.ok(Math.abs(a.solar_wh - 2 * b.solar_wh) <= 1 && Math.abs(b.solar_wh - c.solar_wh) <= 1, JSON.stringify({ a, b, c }));
  assert.equal(d.solar_wh, 0);
  // Metered use, whole Wh with the fraction carried: A 4, B 1 (of 1.5), C 2, D 2.
  assert.deepEqual([a.consumed_wh, b.consumed_wh, c.consumed_wh, d.consumed_wh], [4, 1, 2, 2]);
  assert.deepEqual([a.estimated_wh, b.estimated_wh], [0, 0]);
  const acc = await accounts(s);
  assert.equal(acc.A.energy_wh, a.solar_wh - 4);
  assert.equal(acc.D.energy_wh, -2);
  assert.match(execFileSync(solgridBin, ['ledger', 'verify'], { env: { PATH: process.env.PATH, DB_PATH: path.join(s.dir, 'solgrid.db') } }).toString(), /^ledger ok/);
});

test('unmetered (the seed Arduino): the discharge is estimated among the households whose relays are on', async () => {
  const s = await startServer({ env: { BATTERY_CAPACITY_WH: '10000', HOUSEHOLD_NOMINAL_W: 'A:300,B:100,C:500,D:500' } });
  servers.push(s);
  assert.equal((await postJson(`${s.url}/api/relay/update`, { A: true, B: true, C: false, D: false })).status, 200);
  const post = (soc) => postJson(`${s.url}/api/data/solar`, { soc, solar_w: 0, lux: 0 });
  assert.equal((await post(50)).status, 201);
  await sleep(300);
  assert.equal((await post(49)).status, 201);  // 1 % of 10 kWh = 100 Wh used, A:B = 3:1
  const a = await waitUntil(async () => { const t = await statement(s, 'A'); return t.consumed_wh > 0 && t; }, { what: 'estimated' });
  const b = await statement(s, 'B');
  assert.equal(a.consumed_wh, 75);
  assert.equal(b.consumed_wh, 25);
  assert.equal(a.estimated_wh, 75);
  assert.equal((await statement(s, 'C')).consumed_wh, 0);
  assert.equal((await accounts(s)).A.energy_wh, -75);
});
