// The energy market (issue 13) through the real binary with real logins
// (AUTH on): two households trade, balances, trade_history and the ledger
// match; the events reach the right rooms (socket.io-client); bad input is
// refused naming the field; enforcement turns a relay off and refuses to turn
// it on (409) until the household buys energy; a restart keeps the book;
// statements and CSV. With SOLGRID_TEST_MYSQL_HOST set, the same on MariaDB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startServer, solgridBin } from './lib/server.mjs';
import { call, login, addUser } from './lib/http.mjs';
import { once as onceArgs, closeAll, waitUntil, record } from './lib/sio.mjs';

const ADMIN_PASSWORD = 'admin-secret-123';
const servers = [];
const sockets = [];
after(async () => {
  closeAll(sockets);
  for (const s of servers) await s.stop();
});


// The arguments of every `name` event a record() log holds.
const of = (log, name) => log.filter((e) => e.event === name).map((e) => e.args);

function cli(server, env, ...args) {
  return execFileSync(solgridBin, args, { env: { PATH: process.env.PATH, ...env }, cwd: server.dir }).toString();
}

async function start(extra = {}, dir) {
  const s = await startServer({ env: { AUTH: 'on', ADMIN_PASSWORD, ...extra }, dir });
  servers.push(s);
  return s;
}

async function account(server, cookie, h) {
  const r = await call(server, 'GET', '/api/market/accounts', { cookie });
  assert.equal(r.status, 200, r.text);
  return r.json.accounts[h];
}

function dbEnv(server, extra) {
  return { DB_PATH: path.join(server.dir, 'solgrid.db'), ...extra };
}

const backends = [{ name: 'sqlite', env: {} }];
if (process.env.SOLGRID_TEST_MYSQL_HOST) {
  const db = `solgrid_market_${process.pid}`;
  backends.push({
    name: 'mysql',
    env: {
      DB_HOST: process.env.SOLGRID_TEST_MYSQL_HOST,
      DB_PORT: process.env.SOLGRID_TEST_MYSQL_PORT || '3306',
      DB_USER: process.env.SOLGRID_TEST_MYSQL_USER || 'root',
      DB_PASSWORD: process.env.SOLGRID_TEST_MYSQL_PASSWORD || '',
      DB_DATABASE: db,
    },
  });
}

for (const backend of backends) {
  test(`${backend.name}: two households trade; balances, trade_history, ledger and events agree; a restart keeps the book`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-market-'));
    const env = { ...backend.env, DB_DATABASE: backend.env.DB_DATABASE ? `${backend.env.DB_DATABASE}_a` : undefined };
    if (!env.DB_DATABASE) delete env.DB_DATABASE;
    let server = await start(env, dir);
    const admin = await login(server, 'admin', ADMIN_PASSWORD);
    const a = await addUser(server, admin, 'alice', 'household', 'A');
    const b = await addUser(server, admin, 'bob', 'household', 'B');
    const viewer = await addUser(server, admin, 'vera', 'viewer');
    const cliEnv = dbEnv(server, env);
    cli(server, cliEnv, 'ledger', 'adjust', 'A', '--energy-wh', '2000', '--money', '0', '--reason', 'opening A');
    cli(server, cliEnv, 'ledger', 'adjust', 'B', '--energy-wh', '0', '--money', '100000', '--reason', 'opening B');
    // The running server picks the CLI's entries up within ~2 s.
    await waitUntil(async () => (await account(server, a.cookie, 'B')).money === 100000, { what: 'adjustments picked up' });

    // Sockets: A's and B's, and the admin's.
    const sa = io(server.url, { extraHeaders: { Cookie: a.cookie }, transports: ['websocket'], forceNew: true });
    const sb = io(server.url, { extraHeaders: { Cookie: b.cookie }, transports: ['websocket'], forceNew: true });
    sockets.push(sa, sb);
    const ra = record(sa);
    const rb = record(sb);
    await Promise.all([onceArgs(sa, 'connect'), onceArgs(sb, 'connect')]);

    const market = await call(server, 'GET', '/api/market', { cookie: viewer.cookie });
    assert.equal(market.status, 200);
    assert.equal(market.json.currency, 'KRW');
    assert.deepEqual(market.json.shares, { A: 25, B: 25, C: 25, D: 25, pool: 0 });
    assert.equal(market.json.last_price, null);

    // A sells 1500 Wh at 150; B buys 1000 Wh at 160 and trades at 150.
    const sell = await call(server, 'POST', '/api/market/orders', { cookie: a.cookie, body: { side: 'sell', energy_wh: 1500, price: 150 } });
    assert.equal(sell.status, 201, sell.text);
    assert.equal(sell.json.order.household, 'A');
    assert.equal(sell.json.order.status, 'open');
    const buy = await call(server, 'POST', '/api/market/orders', { cookie: b.cookie, body: { side: 'buy', energy_wh: 1000, price: 160 } });
    assert.equal(buy.status, 201, buy.text);
    assert.equal(buy.json.order.status, 'filled');
    assert.equal(buy.json.trades.length, 1);
    const t = buy.json.trades[0];
    assert.deepEqual([t.buyer, t.seller, t.energy_wh, t.price, t.amount], ['B', 'A', 1000, 150, 150]);
    assert.equal(t.sell_order_id, sell.json.order.id);

    const accA = await account(server, b.cookie, 'A');  // a household sees every balance
    assert.equal(accA.energy_wh, 1000);
    assert.equal(accA.money, 150);
    assert.equal(accA.free_energy_wh, 500);
    const accB = await account(server, a.cookie, 'B');
    assert.equal(accB.energy_wh, 1000);
    assert.equal(accB.money, 100000 - 150);

    // trade_history has the trade; A's open orders are A's only.
    const trades = await call(server, 'GET', '/api/market/trades', { cookie: viewer.cookie });
    assert.equal(trades.json.trades.length, 1);
    assert.deepEqual(trades.json.trades[0], t);
    const csv = await call(server, 'GET', '/api/market/trades?format=csv', { cookie: viewer.cookie });
    assert.match(csv.headers['content-type'], /text\/csv/);
    assert.match(csv.text, /^id,at,buyer,seller,energy_wh,price,amount,buy_order_id,sell_order_id\r\n1,.*,B,A,1000,150,150,/);
    const ordersA = await call(server, 'GET', '/api/market/orders', { cookie: a.cookie });
    assert.deepEqual(ordersA.json.orders.map((o) => [o.id, o.filled_wh, o.status]), [[sell.json.order.id, 1000, 'open']]);
    const peek = await call(server, 'GET', '/api/market/orders?household=B', { cookie: a.cookie });
    assert.equal(peek.status, 403);

    // Events: trade_executed to both, account/order updates to each one's room only.
    await waitUntil(() => of(ra, 'trade_executed').length === 1 && of(rb, 'trade_executed').length === 1, { what: 'trade_executed' });
    assert.deepEqual(Object.keys(of(ra, 'trade_executed')[0][0]).sort(), ['at', 'buyer', 'energy_wh', 'id', 'price', 'seller']);
    await waitUntil(() => of(rb, 'account_update').some(([p]) => p.household === 'B' && p.money === 100000 - 150), { what: "B's account_update" });
    assert.ok(of(ra, 'account_update').every(([p]) => p.household === 'A'), 'A only hears about A');
    assert.ok(of(rb, 'order_update').every(([p]) => p.household === 'B'), 'B only hears about B');
    assert.ok(of(ra, 'order_update').some(([p]) => p.id === sell.json.order.id && p.filled_wh === 1000));
    await waitUntil(() => of(ra, 'market_update').length > 0, { what: 'market_update' });

    // The bill.
    const st = await call(server, 'GET', '/api/market/statement', { cookie: a.cookie });
    assert.equal(st.status, 200, st.text);
    assert.equal(st.json.household, 'A');
    assert.equal(st.json.totals.sold_wh, 1000);
    assert.equal(st.json.totals.earned, 150);
    assert.equal(st.json.totals.adjusted_wh, 2000);
    const stcsv = await call(server, 'GET', '/api/market/statement?format=csv', { cookie: b.cookie });
    assert.match(stcsv.text, /^day,solar_wh,consumed_wh,estimated_wh,bought_wh,sold_wh,spent,earned,adjusted_wh,adjusted_money\r\n/);
    assert.match(stcsv.text, /\r\ntotal,0,0,0,1000,0,150,0,0,100000\r\n$/);

    // A second resting order, then a restart: the book is the same.
    const bid = await call(server, 'POST', '/api/market/orders', { cookie: b.cookie, body: { side: 'buy', energy_wh: 200, price: 120 } });
    assert.equal(bid.status, 201);
    const bookBefore = (await call(server, 'GET', '/api/market', { cookie: a.cookie })).json.book;
    assert.deepEqual(bookBefore, { bids: [{ price: 120, energy_wh: 200, orders: 1 }], asks: [{ price: 150, energy_wh: 500, orders: 1 }] });
    closeAll([sa, sb]);
    await server.stop({ keepDir: true });
    server = await start(env, dir);
    const a2 = await login(server, 'alice', 'alice-password');
    const after = await call(server, 'GET', '/api/market', { cookie: a2.cookie });
    assert.deepEqual(after.json.book, bookBefore);
    assert.equal(after.json.last_price, 150);
    // Cancel A's order; cancelling again is 409; someone else's is 404.
    const b2 = await login(server, 'bob', 'bob-password');
    const theirs = await call(server, 'DELETE', `/api/market/orders/${sell.json.order.id}`, { cookie: b2.cookie });
    assert.equal(theirs.status, 404, theirs.text);
    const cancel = await call(server, 'DELETE', `/api/market/orders/${sell.json.order.id}`, { cookie: a2.cookie });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.json.order.status, 'cancelled');
    const again = await call(server, 'DELETE', `/api/market/orders/${sell.json.order.id}`, { cookie: a2.cookie });
    assert.equal(again.status, 409);
    assert.equal((await call(server, 'DELETE', '/api/market/orders/99999', { cookie: a2.cookie })).status, 404);

    const verify = cli(server, dbEnv(server, env), 'ledger', 'verify');
    assert.match(verify, /^ledger ok: /);
  });
}

test('bad orders are refused naming the field; roles decide who may trade', async () => {
  const server = await start();
  const admin = await login(server, 'admin', ADMIN_PASSWORD);
  const a = await addUser(server, admin, 'carol', 'household', 'C');
  const viewer = await addUser(server, admin, 'vic', 'viewer');
  const post = (cookie, body) => call(server, 'POST', '/api/market/orders', { cookie, body });
  const cases = [
    [{ energy_wh: 5, price: 100 }, 'side'],
    [{ side: 'hold', energy_wh: 5, price: 100 }, 'side'],
    [{ side: 'buy', price: 100 }, 'energy_wh'],
    [{ side: 'buy', energy_wh: 0, price: 100 }, 'energy_wh'],
    [{ side: 'buy', energy_wh: 1.5, price: 100 }, 'energy_wh'],
    [{ side: 'buy', energy_wh: '5', price: 100 }, 'energy_wh'],
    [{ side: 'buy', energy_wh: 5 }, 'price'],
    [{ side: 'buy', energy_wh: 5, price: 1001 }, 'price'],
    [{ side: 'buy', energy_wh: 5, price: 0 }, 'price'],
    [{ side: 'buy', energy_wh: 5, price: 100, tif: 'fok' }, 'tif'],
    [{ side: 'buy', energy_wh: 5, price: 100, expires_at: 'tomorrow' }, 'expires_at'],
    [{ side: 'buy', energy_wh: 5, price: 100, expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    [{ side: 'buy', energy_wh: 5, price: 100, colour: 'red' }, 'colour'],
  ];
  for (const [body, field] of cases) {
    const r = await post(a.cookie, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.field, field, JSON.stringify(body));
    assert.equal(r.json.success, false);
  }
  assert.equal((await post(a.cookie, '{"side":"buy","side":"sell","energy_wh":5,"price":100}')).status, 400);
  assert.equal((await post(a.cookie, 'not json')).status, 400);
  // Balances: C holds nothing.
  const poor = await post(a.cookie, { side: 'sell', energy_wh: 5, price: 100 });
  assert.equal(poor.status, 409);
  assert.match(poor.json.error, /insufficient energy/);
  const broke = await post(a.cookie, { side: 'buy', energy_wh: 5000, price: 100 });
  assert.equal(broke.status, 409);
  assert.match(broke.json.error, /insufficient money/);
  // Another household's name: 403; a viewer: 403; no login: 401.
  assert.equal((await post(a.cookie, { side: 'buy', energy_wh: 5, price: 100, household: 'D' })).status, 403);
  assert.equal((await post(viewer.cookie, { side: 'buy', energy_wh: 5, price: 100, household: 'D' })).status, 403);
  assert.equal((await post(undefined, { side: 'buy', energy_wh: 5, price: 100, household: 'D' })).status, 401);
  // An admin names the household (or pool), and must.
  assert.equal((await post(admin.cookie, { side: 'buy', energy_wh: 5, price: 100 })).json.field, 'household');
  assert.equal((await post(admin.cookie, { side: 'sell', energy_wh: 5, price: 100, household: 'pool' })).status, 409);
  assert.equal((await call(server, 'DELETE', '/api/market/orders/abc', { cookie: a.cookie })).status, 400);
  assert.equal((await call(server, 'GET', '/api/market/orders?status=closed', { cookie: a.cookie })).json.field, 'status');
  assert.equal((await call(server, 'GET', '/api/market/trades?from=yesterday', { cookie: a.cookie })).json.field, 'from');
  assert.equal((await call(server, 'GET', '/api/market/trades?household=Z', { cookie: a.cookie })).json.field, 'household');
});

test('enforcement: a household at 0 Wh has its relay switched off and cannot switch it on (409) until it buys energy', async () => {
  const server = await start({ BATTERY_CAPACITY_WH: '10000', SOC_FLOOR: '5', UTC_OFFSET_HOURS: '9' });
  const admin = await login(server, 'admin', ADMIN_PASSWORD);
  const a = await addUser(server, admin, 'dora', 'household', 'D');
  const seller = await addUser(server, admin, 'ann', 'household', 'A');
  const cliEnv = dbEnv(server, {});
  cli(server, cliEnv, 'ledger', 'adjust', 'A', '--energy-wh', '500', '--money', '0', '--reason', 'opening A');
  cli(server, cliEnv, 'ledger', 'adjust', 'D', '--energy-wh', '0', '--money', '5000', '--reason', 'opening D');
  await waitUntil(async () => (await account(server, a.cookie, 'D')).money === 5000, { what: 'adjustments' });
  const status = async () => (await call(server, 'GET', '/api/relay/status', { cookie: a.cookie })).json;
  // D holds 0 Wh: its relay may not go on.
  const on = await call(server, 'POST', '/api/relay/update', { cookie: a.cookie, body: { D: true } });
  assert.equal(on.status, 409, on.text);
  assert.equal(on.json.reason, 'energy_balance');
  assert.equal(on.json.field, 'D');
  assert.match(on.json.error, /energy balance is 0 Wh/);
  assert.equal((await account(server, a.cookie, 'D')).relay_blocked, 'energy_balance');
  // A holds energy and may switch on; D stays blocked whoever asks.
  assert.equal((await call(server, 'POST', '/api/relay/update', { cookie: seller.cookie, body: { A: true } })).status, 200);
  assert.equal((await call(server, 'POST', '/api/relay/update', { cookie: admin.cookie, body: { D: true } })).status, 409);
  // D buys 100 Wh from A: its balance is positive, the relay may go on.
  assert.equal((await call(server, 'POST', '/api/market/orders', { cookie: seller.cookie, body: { side: 'sell', energy_wh: 100, price: 200 } })).status, 201);
  const buy = await call(server, 'POST', '/api/market/orders', { cookie: a.cookie, body: { side: 'buy', energy_wh: 100, price: 200 } });
  assert.equal(buy.json.trades.length, 1);
  assert.equal((await account(server, a.cookie, 'D')).relay_blocked, null);
  // D's bill counts days from UTC+9 (UTC_OFFSET_HOURS).
  const bill = await call(server, 'GET', '/api/market/statement', { cookie: a.cookie });
  assert.equal(bill.json.utc_offset_hours, 9);
  const localDay = new Date(Date.parse(buy.json.trades[0].at) + 9 * 3600e3).toISOString().slice(0, 10);
  assert.equal(bill.json.days.at(-1).day, localDay);
  assert.equal(bill.json.days.at(-1).bought_wh, 100);
  const on2 = await call(server, 'POST', '/api/relay/update', { cookie: a.cookie, body: { D: true } });
  assert.equal(on2.status, 200, on2.text);
  assert.equal((await status()).D, true);
  // A sold everything it had left: a reading makes the market switch A off.
  assert.equal((await call(server, 'POST', '/api/market/orders', { cookie: seller.cookie, body: { side: 'sell', energy_wh: 400, price: 100 } })).status, 201);
  assert.equal((await call(server, 'POST', '/api/market/orders', { cookie: a.cookie, body: { side: 'buy', energy_wh: 400, price: 100 } })).status, 201);
  await waitUntil(async () => (await status()).A === false, { what: "A's relay switched off by the market" });
  assert.equal((await account(server, a.cookie, 'A')).relay_blocked, 'energy_balance');
  // The SoC floor: a reading at 5 % switches every relay off and holds them.
  const post = await call(server, 'POST', '/api/data/solar', { body: { soc: 5, solar_w: 0, lux: 0 } });
  assert.equal(post.status, 201, post.text);
  await waitUntil(async () => (await status()).D === false, { what: 'every relay off at the SoC floor' });
  const floor = await call(server, 'POST', '/api/relay/update', { cookie: a.cookie, body: { D: true } });
  assert.equal(floor.status, 409);
  assert.equal(floor.json.reason, 'soc_floor');
  const audit = await call(server, 'GET', '/api/audit', { cookie: admin.cookie });
  assert.ok(audit.json.entries.some((e) => e.action === 'relay.update' && e.outcome === 'denied' && /stays off/.test(e.detail)));
});

test('AUTH=off keeps the seed: no enforcement, market events to everyone', async () => {
  const server = await startServer({});
  servers.push(server);
  const on = await call(server, 'POST', '/api/relay/update', { body: { A: true, B: true } });
  assert.equal(on.status, 200, on.text);
  const m = await call(server, 'GET', '/api/market');
  assert.equal(m.json.enforce, false);
  const s = io(server.url, { transports: ['websocket'], forceNew: true });
  sockets.push(s);
  const r = record(s);
  await onceArgs(s, 'connect');
  execFileSync(solgridBin, ['ledger', 'adjust', 'A', '--energy-wh', '100', '--money', '0', '--reason', 'x'],
    { env: { PATH: process.env.PATH, DB_PATH: path.join(server.dir, 'solgrid.db') } });
  await waitUntil(async () => (await call(server, 'GET', '/api/market/accounts')).json.accounts.A.energy_wh === 100,
    { what: 'the adjustment picked up' });
  const sell = await call(server, 'POST', '/api/market/orders', { body: { side: 'sell', energy_wh: 50, price: 100, household: 'A' } });
  assert.equal(sell.status, 201, sell.text);
  await waitUntil(() => of(r, 'order_update').length > 0 && of(r, 'account_update').length > 0, { what: 'events to everyone' });
});

test('a crash in the middle of a stream of orders loses no accepted order and duplicates no trade', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-market-crash-'));
  const dbPath = path.join(dir, 'solgrid.db');
  for (const h of ['A', 'B', 'C', 'D'])
    execFileSync(solgridBin, ['ledger', 'adjust', h, '--energy-wh', '100000000', '--money', '100000000000', '--reason', 'opening'],
      { env: { PATH: process.env.PATH, DB_PATH: dbPath } });
  let server = await startServer({ dir });
  servers.push(server);
  const acked = new Set();
  let stop = false;
  const houses = ['A', 'B', 'C', 'D'];
  let n = 0;
  const loop = async () => {
    while (!stop) {
      const i = n++;
      const buy = i % 2 === 0;
      const body = { side: buy ? 'buy' : 'sell', energy_wh: 1 + (i * 37) % 500, price: buy ? 95 + (i % 9) : 96 + ((i * 7) % 9), household: houses[(i * 13) % 4] };
      try {
        const r = await call(server, 'POST', '/api/market/orders', { body });
        if (r.status === 201) acked.add(r.json.order.id);
      } catch { return; }  // the server is gone
    }
  };
  const loops = Array.from({ length: 32 }, loop);
  await waitUntil(() => acked.size >= 300, { what: '300 accepted orders' });
  process.kill(server.child.pid, 'SIGKILL');
  stop = true;
  await Promise.all(loops);
  await server.stop({ keepDir: true });
  const sqlite = (sql) => execFileSync('sqlite3', [dbPath, sql]).toString().trim();
  const stored = new Set(sqlite('SELECT id FROM market_orders').split('\n').filter(Boolean).map(Number));
  for (const id of acked) assert.ok(stored.has(id), `order ${id} was answered 201 but is not stored`);
  // Every trade once: trade rows = trade entries; filled energy agrees on both sides.
  assert.equal(sqlite("SELECT COUNT(*) FROM trade_history"), sqlite("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'trade'"));
  const traded = sqlite('SELECT CAST(COALESCE(SUM(energy_wh), 0) AS INTEGER) FROM trade_history');
  assert.equal(sqlite("SELECT COALESCE(SUM(filled_wh), 0) FROM market_orders WHERE side = 'buy'"), traded);
  assert.equal(sqlite("SELECT COALESCE(SUM(filled_wh), 0) FROM market_orders WHERE side = 'sell'"), traded);
  assert.ok(Number(traded) > 0, 'some orders traded');
  assert.match(execFileSync(solgridBin, ['ledger', 'verify'], { env: { PATH: process.env.PATH, DB_PATH: dbPath } }).toString(), /^ledger ok/);
  // The restarted market goes on from there: not crossed, the next id after the last stored.
  server = await startServer({ dir });
  servers.push(server);
  const m = (await call(server, 'GET', '/api/market')).json;
  if (m.book.bids.length && m.book.asks.length) assert.ok(m.book.bids[0].price < m.book.asks[0].price, 'book not crossed');
  const next = await call(server, 'POST', '/api/market/orders', { body: { side: 'buy', energy_wh: 1, price: 1, household: 'A' } });
  assert.equal(next.status, 201, next.text);
  assert.equal(next.json.order.id, Math.max(...stored) + 1);
});
