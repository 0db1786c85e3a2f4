// One market across several solgrid instances (issue 15, docs/market.md
// "Several instances"): real `solgrid serve` processes on one real MariaDB
// (three of them) and on one SQLite file (two). Orders are placed and
// cancelled on any instance and matched exactly once in price-time order;
// right after a 201 on one instance every other one reports the order; an
// order filled on one cannot be cancelled on another (409); 100 orders fired
// at once across the instances trade once each, no order is over-filled,
// energy and money are conserved and every instance reports the same book;
// readings stored through alternating instances settle each interval once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, solgridBin } from './lib/server.mjs';
import { call } from './lib/http.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, mysqlQuery, dropDatabase, sqlRows } from './lib/mariadb.mjs';

const run = promisify(execFile);
const FUND_WH = 1000000;
const FUND_MONEY = 1000000000;
const HOLDERS = ['A', 'B', 'C', 'D', 'pool'];

for (const kind of ['mysql', 'sqlite']) {
  describe(`one market across instances on ${kind}`, () => {
    let dir, env, mysql, database;
    const servers = [];

    const sql = (text) => sqlRows(kind === 'mysql' ? { mysql, database } : { dbPath: env.DB_PATH }, text);
    const place = async (server, body) => call(server, 'POST', '/api/market/orders', { body });
    const market = async (server) => {
      const r = await call(server, 'GET', '/api/market');
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const accounts = async (server) => {
      const r = await call(server, 'GET', '/api/market/accounts');
      assert.equal(r.status, 200, r.text);
      return r.json.accounts;
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'solgrid-market-cluster-'));
      env = { AUTH: 'off', LOG_LEVEL: 'info' };
      if (kind === 'mysql') {
        mysql = sharedMysql();
        database = uniqueDatabase('solgrid_mc');
        Object.assign(env, solgridEnv(mysql, database));
      } else {
        env.DB_PATH = path.join(dir, 'shared.db');
      }
      // Funded before the instances start (the CLI creates the schema).
      for (const h of ['A', 'B', 'C', 'D']) {
        await run(solgridBin, ['ledger', 'adjust', h, '--energy-wh', String(FUND_WH), '--money', String(FUND_MONEY),
          '--reason', 'opening balance'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      }
      const n = kind === 'mysql' ? 3 : 2;
      for (let i = 0; i < n; ++i) {
        servers.push(await startServer({ env, dir: mkdtempSync(path.join(dir, 'instance-')) }));
      }
    });

    after(async () => {
      for (const s of servers) await s.stop();
      if (mysql) await dropDatabase(mysql, database);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let sellA;

    test('an order placed on one instance is on every instance\'s book right after its 201', async () => {
      const [one, two] = servers;
      const r = await place(one, { household: 'A', side: 'sell', energy_wh: 500, price: 150 });
      assert.equal(r.status, 201, r.text);
      sellA = r.json.order;
      for (const s of servers.slice(1)) {
        const m = await market(s);
        assert.deepEqual(m.book.asks, [{ price: 150, energy_wh: 500, orders: 1 }], `${s.url}: ${JSON.stringify(m.book)}`);
        const orders = await call(s, 'GET', '/api/market/orders?household=A');
        assert.deepEqual(orders.json.orders.map((o) => o.id), [sellA.id]);
        assert.equal((await accounts(s)).A.reserved_energy_wh, 500);
      }
      assert.deepEqual(await market(two), await market(one));
    });

    test('a crossing order on another instance trades against it, once, at its price', async () => {
      const two = servers[1];
      const r = await place(two, { household: 'B', side: 'buy', energy_wh: 200, price: 160 });
      assert.equal(r.status, 201, r.text);
      assert.notEqual(r.json.order.id, sellA.id);
      assert.equal(r.json.order.status, 'filled');
      assert.equal(r.json.trades.length, 1, r.text);
      assert.equal(r.json.trades[0].sell_order_id, sellA.id);
      assert.equal(r.json.trades[0].price, 150);
      for (const s of servers) {
        const m = await market(s);
        assert.deepEqual(m.book.asks, [{ price: 150, energy_wh: 300, orders: 1 }], s.url);
        assert.equal(m.last_price, 150);
        assert.equal((await accounts(s)).B.energy_wh, FUND_WH + 200);
      }
      assert.deepEqual(await sql('SELECT COUNT(*) FROM trade_history'), ['1']);
    });

    test('an order is cancelled on another instance than the one that placed it', async () => {
      const [one, two] = servers;
      const placed = await place(one, { household: 'C', side: 'sell', energy_wh: 100, price: 170 });
      assert.equal(placed.status, 201, placed.text);
      const del = await call(two, 'DELETE', `/api/market/orders/${placed.json.order.id}`);
      assert.equal(del.status, 200, del.text);
      assert.equal(del.json.order.status, 'cancelled');
      const again = await call(one, 'DELETE', `/api/market/orders/${placed.json.order.id}`);
      assert.equal(again.status, 409, again.text);
      assert.equal(again.json.success, false);
      for (const s of servers) assert.equal((await accounts(s)).C.reserved_energy_wh, 0, s.url);
    });

    test('an order filled on one instance cannot be cancelled (nor traded) on another: 409', async () => {
      const [one, two] = servers;
      const sell = await place(one, { household: 'D', side: 'sell', energy_wh: 100, price: 140 });
      assert.equal(sell.status, 201, sell.text);
      await market(two);  // two has the sell resting in its memory now
      const buy = await place(one, { household: 'B', side: 'buy', energy_wh: 100, price: 140 });
      assert.equal(buy.status, 201, buy.text);
      assert.equal(buy.json.trades.length, 1);
      const del = await call(two, 'DELETE', `/api/market/orders/${sell.json.order.id}`);
      assert.equal(del.status, 409, del.text);
      assert.equal(del.json.success, false);
      assert.match(del.json.error, /filled/);
      // Nor does two trade against it: a buy at 140 rests.
      const late = await place(two, { household: 'C', side: 'buy', energy_wh: 100, price: 140 });
      assert.equal(late.status, 201, late.text);
      assert.deepEqual(late.json.trades, []);
      const del2 = await call(one, 'DELETE', `/api/market/orders/${late.json.order.id}`);
      assert.equal(del2.status, 200, del2.text);
      assert.deepEqual(await sql(`SELECT COUNT(*) FROM trade_history WHERE sell_order_id = ${sell.json.order.id}`), ['1']);
    });

    test('100 orders fired at once across the instances: each trade once, none over-filled, all conserved, one book', async () => {
      const bodies = [];
      for (let i = 0; i < 50; ++i) {
        bodies.push({ household: 'ABCD'[i % 4], side: 'sell', energy_wh: 50 + i, price: 141 + (i % 12) });
        bodies.push({ household: 'ABCD'[(i + 1) % 4], side: 'buy', energy_wh: 60 + i, price: 142 + (i % 12) });
      }
      const answers = await Promise.all(bodies.map((b, i) => place(servers[i % servers.length], b)));
      for (const a of answers) assert.equal(a.status, 201, a.text);
      const ids = answers.map((a) => a.json.order.id);
      assert.equal(new Set(ids).size, ids.length, 'an order id given twice');
      const reported = answers.flatMap((a) => a.json.trades);
      assert.ok(reported.length > 0, 'crossing orders traded');

      const all = await call(servers[0], 'GET', '/api/market/trades?limit=100000');
      assert.equal(all.status, 200, all.text);
      const trades = all.json.trades;
      const tradeIds = trades.map((t) => t.id);
      assert.equal(new Set(tradeIds).size, tradeIds.length, 'a trade stored twice');
      for (const t of reported) assert.ok(tradeIds.includes(t.id), `reported trade ${t.id} stored`);
      assert.deepEqual(await sql("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'trade'"), [String(trades.length)]);

      const orders = (await call(servers[1], 'GET', '/api/market/orders?status=all&limit=5000')).json.orders;
      const filledBy = new Map();
      for (const t of trades) {
        filledBy.set(t.buy_order_id, (filledBy.get(t.buy_order_id) || 0) + t.energy_wh);
        filledBy.set(t.sell_order_id, (filledBy.get(t.sell_order_id) || 0) + t.energy_wh);
      }
      for (const o of orders) {
        assert.ok(o.filled_wh <= o.energy_wh, `order ${o.id} over-filled: ${JSON.stringify(o)}`);
        assert.equal(o.filled_wh, filledBy.get(o.id) || 0, `order ${o.id}'s fill is its trades`);
        if (o.status === 'filled') assert.equal(o.filled_wh, o.energy_wh);
      }

      const views = await Promise.all(servers.map((s) => market(s)));
      for (const v of views.slice(1)) assert.deepEqual(v, views[0]);
      const books = views[0].book;
      if (books.bids.length && books.asks.length) assert.ok(books.bids[0].price < books.asks[0].price, 'crossed book');
      const accs = await Promise.all(servers.map((s) => accounts(s)));
      for (const a of accs.slice(1)) assert.deepEqual(a, accs[0]);
      const sum = (k) => HOLDERS.reduce((n, h) => n + accs[0][h][k], 0);
      assert.equal(sum('energy_wh'), 4 * FUND_WH);
      assert.equal(sum('money'), 4 * FUND_MONEY);
      // Reservations agree with the open orders.
      const open = orders.filter((o) => o.status === 'open');
      for (const h of ['A', 'B', 'C', 'D']) {
        const sells = open.filter((o) => o.household === h && o.side === 'sell').reduce((n, o) => n + o.energy_wh - o.filled_wh, 0);
        assert.equal(accs[0][h].reserved_energy_wh, sells, h);
      }
      const { stdout } = await run(solgridBin, ['ledger', 'verify'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      assert.match(stdout, /ledger ok/);
    });

    test('readings stored through alternating instances settle each interval once', async () => {
      const before = (await sql("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'solar_credit'"))[0];
      assert.equal(before, '0');
      for (let i = 0; i < 8; ++i) {
        const r = await call(servers[i % servers.length], 'POST', '/api/data/solar',
          { body: { soc: 60, solar_w: 200000, lux: 1000 } });
        assert.equal(r.status, 201, r.text);
        await new Promise((res) => setTimeout(res, 250));  // spacing only: each interval credits whole Wh
      }
      // Settled from each previous reading, whichever instance stored it:
      // consecutive intervals, none twice, none overlapping.
      const refs = await sql("SELECT reference FROM ledger_entries WHERE kind = 'solar_credit' ORDER BY id");
      assert.equal(refs.length, 7, refs.join('\n'));
      const spans = refs.map((r) => r.match(/^readings (\S+)\.\.(\S+)$/).slice(1));
      for (let i = 1; i < spans.length; ++i) assert.equal(spans[i][0], spans[i - 1][1], refs.join('\n'));
      const { stdout } = await run(solgridBin, ['ledger', 'verify'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      assert.match(stdout, /ledger ok/);
    });
  });
}
