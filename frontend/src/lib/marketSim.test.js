import { describe, expect, test } from 'vitest';
import {
  accountsOf, bookOf, cancelOrder, counterpartyStep, createMarketSim, expireOrders, ordersOf, placeOrder,
  restoreMarketSim, settleEnergy, SIM_START, statementCsv, statementOf, tradesOf,
} from './marketSim.js';

const T0 = Date.parse('2026-11-30T01:00:00.000Z');

// Place every order in turn; fail the test on an unexpected refusal.
function run(orders, s = createMarketSim(T0)) {
  let state = s;
  const out = [];
  orders.forEach((o, i) => {
    const r = placeOrder(state, { tif: 'gtc', ...o }, T0 + i * 1000);
    if (r.error) throw new Error(`order ${i}: ${r.error}`);
    state = r.state;
    out.push(r);
  });
  return { state, out };
}

const totals = (s) => Object.values(s.accounts).reduce((t, a) => ({ wh: t.wh + a.energy_wh, money: t.money + a.money }), { wh: 0, money: 0 });

// Seeded random source (mulberry32) so the randomized test is reproducible.
function rngOf(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the virtual market matches like the real one', () => {
  test('a resting order, then a crossing one: trade at the resting price, partial fill', () => {
    const { state, out } = run([
      { household: 'B', side: 'sell', energy_wh: 300, price: 140 },
      { household: 'A', side: 'buy', energy_wh: 500, price: 160 },
    ]);
    expect(out[1].trades).toEqual([expect.objectContaining({ buyer: 'A', seller: 'B', energy_wh: 300, price: 140, amount: 42, buy_order_id: 2, sell_order_id: 1 })]);
    expect(out[1].order).toMatchObject({ status: 'open', filled_wh: 300, energy_wh: 500 });
    expect(bookOf(state)).toEqual({ bids: [{ price: 160, energy_wh: 200, orders: 1 }], asks: [] });
    const acc = accountsOf(state);
    expect(acc.A).toMatchObject({ energy_wh: SIM_START.energy_wh + 300, money: SIM_START.money - 42, free_money: SIM_START.money - 42 - 32 });
    expect(acc.B).toMatchObject({ energy_wh: SIM_START.energy_wh - 300, money: SIM_START.money + 42 });
    expect(state.last_price).toBe(140);
    expect(tradesOf(state, 'C')).toEqual([]);
  });

  test('price-time priority: the better price first, then the older order', () => {
    const { out } = run([
      { household: 'B', side: 'sell', energy_wh: 100, price: 150 },
      { household: 'C', side: 'sell', energy_wh: 100, price: 145 },
      { household: 'D', side: 'sell', energy_wh: 100, price: 145 },
      { household: 'A', side: 'buy', energy_wh: 250, price: 150 },
    ]);
    expect(out[3].trades.map((t) => [t.seller, t.price, t.energy_wh])).toEqual([['C', 145, 100], ['D', 145, 100], ['B', 150, 50]]);
    expect(out[3].order.status).toBe('filled');
  });

  test('ioc leaves nothing in the book; gtc rests; a self-trade is refused', () => {
    const { state, out } = run([
      { household: 'B', side: 'sell', energy_wh: 100, price: 150 },
      { household: 'A', side: 'buy', energy_wh: 300, price: 150, tif: 'ioc' },
      { household: 'A', side: 'sell', energy_wh: 100, price: 200 },
      { household: 'A', side: 'buy', energy_wh: 100, price: 200 },
    ]);
    expect(out[1].order).toMatchObject({ status: 'cancelled', reason: 'ioc', filled_wh: 100 });
    expect(out[3].order).toMatchObject({ status: 'cancelled', reason: 'self_trade', filled_wh: 0 });
    expect(out[3].trades).toEqual([]);
    expect(bookOf(state)).toEqual({ bids: [], asks: [{ price: 200, energy_wh: 100, orders: 1 }] });
  });

  test('bad input and insufficient balances are refused naming the field', () => {
    const s = createMarketSim(T0);
    const place = (o) => placeOrder(s, { household: 'A', side: 'buy', energy_wh: 100, price: 150, ...o }, T0);
    expect(place({ side: 'hold' })).toMatchObject({ status: 400, field: 'side' });
    expect(place({ energy_wh: 0 })).toMatchObject({ status: 400, field: 'energy_wh' });
    expect(place({ energy_wh: 1.5 })).toMatchObject({ status: 400, field: 'energy_wh' });
    expect(place({ price: 0 })).toMatchObject({ status: 400, field: 'price' });
    expect(place({ price: 1001 })).toMatchObject({ status: 400, field: 'price' });
    expect(place({ tif: 'fok' })).toMatchObject({ status: 400, field: 'tif' });
    expect(place({ expires_at: new Date(T0 - 1).toISOString() })).toMatchObject({ status: 400, field: 'expires_at' });
    expect(place({ household: 'E' })).toMatchObject({ status: 400, field: 'household' });
    expect(place({ side: 'sell', energy_wh: SIM_START.energy_wh + 1 })).toMatchObject({ status: 409, error: 'insufficient energy' });
    expect(place({ energy_wh: 1000000, price: 1000 })).toMatchObject({ status: 409, error: 'insufficient money' });
    // Open sell orders hold their energy.
    const r = place({ side: 'sell', energy_wh: SIM_START.energy_wh, price: 500 });
    expect(placeOrder(r.state, { household: 'A', side: 'sell', energy_wh: 1, price: 500 }, T0)).toMatchObject({ status: 409 });
  });

  test('cancel: open → cancelled and out of the book; unknown → 404; twice → 409; not yours → 404', () => {
    const { state } = run([{ household: 'A', side: 'sell', energy_wh: 100, price: 170 }]);
    expect(cancelOrder(state, 1, 'B')).toMatchObject({ status: 404 });
    expect(cancelOrder(state, 99, 'A')).toMatchObject({ status: 404 });
    const c = cancelOrder(state, 1, 'A', T0 + 5000);
    expect(c.order).toMatchObject({ id: 1, status: 'cancelled', reason: 'user' });
    expect(bookOf(c.state)).toEqual({ bids: [], asks: [] });
    expect(ordersOf(c.state, 'A')).toEqual([]);
    expect(ordersOf(c.state, 'A', 'all')).toHaveLength(1);
    expect(cancelOrder(c.state, 1, 'A')).toMatchObject({ status: 409 });
  });

  test('an order with expires_at expires', () => {
    const { state } = run([{ household: 'A', side: 'sell', energy_wh: 100, price: 170, expires_at: new Date(T0 + 60000).toISOString() }]);
    expect(expireOrders(state, T0 + 59000).expired).toEqual([]);
    const e = expireOrders(state, T0 + 60000);
    expect(e.expired).toEqual([expect.objectContaining({ id: 1, status: 'expired', reason: 'expired' })]);
    expect(bookOf(e.state).asks).toEqual([]);
  });

  test('randomized: energy and money conserved, the book never crossed, free balances never negative', () => {
    let s = createMarketSim(T0);
    const start = totals(s);
    const rng = rngOf(42);
    let trades = 0;
    for (let i = 0; i < 3000; i++) {
      const step = counterpartyStep(s, { user: ['A', 'B', 'C', 'D'][i % 4], rng, nowMs: T0 + i * 1000 });
      s = step.state;
      trades += step.trades.length;
      const book = bookOf(s);
      if (book.bids[0] && book.asks[0]) expect(book.bids[0].price).toBeLessThan(book.asks[0].price);
    }
    expect(trades).toBeGreaterThan(50);
    expect(totals(s)).toEqual(start);
    for (const a of Object.values(accountsOf(s))) {
      expect(a.free_energy_wh).toBeGreaterThanOrEqual(0);
      expect(a.free_money).toBeGreaterThanOrEqual(0);
    }
    // Each trade is one buyer's and one seller's statement line.
    const day = new Date(T0).toISOString().slice(0, 10);
    const sum = (k) => ['A', 'B', 'C', 'D', 'pool'].reduce((t, h) => t + (s.days[h]?.[day]?.[k] ?? 0), 0);
    expect(sum('bought_wh')).toBe(sum('sold_wh'));
    expect(sum('spent')).toBe(sum('earned'));
  });
});

describe('delivery, statement, storage', () => {
  test('solar is credited by share, use debited; 0 Wh blocks the relay, a purchase lifts it', () => {
    let s = settleEnergy(createMarketSim(T0), { solarWh: 101, usedWh: { A: SIM_START.energy_wh + 500, B: 10 } }, T0);
    expect(s.accounts.A.energy_wh).toBe(0); // never below zero from use
    expect(s.accounts.A.relay_blocked).toBe('energy_balance');
    expect(s.accounts.B.energy_wh).toBe(SIM_START.energy_wh + 25 - 10);
    expect(s.accounts.B.relay_blocked).toBe(null);
    expect(Object.values(s.accounts).reduce((t, a) => t + a.energy_wh, 0)).toBe(5 * SIM_START.energy_wh + 101 - (SIM_START.energy_wh + 25) - 10); // A used its 25 Wh of solar too
    // A cannot sell; A buys 100 Wh from B → unblocked.
    expect(placeOrder(s, { household: 'A', side: 'sell', energy_wh: 1, price: 100 }, T0)).toMatchObject({ status: 409 });
    s = placeOrder(s, { household: 'B', side: 'sell', energy_wh: 100, price: 100 }, T0).state;
    s = placeOrder(s, { household: 'A', side: 'buy', energy_wh: 100, price: 100 }, T0).state;
    expect(s.accounts.A).toMatchObject({ energy_wh: 100, relay_blocked: null });
    // SoC at the floor blocks everyone.
    s = settleEnergy(s, { soc: 5 }, T0);
    expect(['A', 'B', 'C', 'D'].map((h) => s.accounts[h].relay_blocked)).toEqual(['soc_floor', 'soc_floor', 'soc_floor', 'soc_floor']);
  });

  test('the statement has a row per UTC day with what happened, and totals; CSV has the same rows', () => {
    let s = createMarketSim(T0);
    s = settleEnergy(s, { solarWh: 400, usedWh: { A: 30 } }, T0);
    s = placeOrder(s, { household: 'B', side: 'sell', energy_wh: 200, price: 150 }, T0).state;
    s = placeOrder(s, { household: 'A', side: 'buy', energy_wh: 200, price: 150 }, T0 + 86400000).state;
    const st = statementOf(s, 'A', '2026-11-29T00:00:00.000Z', '2026-12-02T00:00:00.000Z');
    expect(st.days.map((d) => d.day)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(st.days[1]).toMatchObject({ solar_wh: 100, consumed_wh: 30, bought_wh: 0 });
    expect(st.days[2]).toMatchObject({ bought_wh: 200, spent: 30 });
    expect(st.totals).toMatchObject({ solar_wh: 100, consumed_wh: 30, bought_wh: 200, spent: 30, sold_wh: 0 });
    const csv = statementCsv(st).trim().split('\n');
    expect(csv[0]).toBe('day,solar_wh,consumed_wh,estimated_wh,bought_wh,sold_wh,spent,earned,adjusted_wh,adjusted_money');
    expect(csv[3]).toBe('2026-12-01,0,0,0,200,0,30,0,0,0');
  });

  test('the state survives JSON (localStorage); garbage gives a fresh market', () => {
    const { state } = run([{ household: 'A', side: 'sell', energy_wh: 100, price: 170 }]);
    expect(restoreMarketSim(JSON.stringify(state))).toEqual(state);
    expect(restoreMarketSim('{not json', T0).orders).toEqual([]);
    expect(restoreMarketSim(null, T0).accounts.A.energy_wh).toBe(SIM_START.energy_wh);
  });
});
