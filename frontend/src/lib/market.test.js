import { describe, expect, test } from 'vitest';
import {
  addTrades, defaultStatementDays, depthRows, fmtMoney, normalizeAccounts, normalizeMarket, orderBody, statementPath, statementRange,
  tradeRole, tradeSeries, upsertOrder, zoneLabel,
} from './market.js';

const NOW = Date.parse('2026-11-30T01:00:00.000Z');
const INFO = { currency: 'KRW', price_floor: 10, price_ceiling: 500, credit_limit: 0 };

describe('order form', () => {
  const form = { side: 'sell', energy: '500', price: '150', tif: 'gtc', expires: '' };
  test('a good form becomes the API body; household only when the caller may name one', () => {
    expect(orderBody(form, INFO, { nowMs: NOW })).toEqual({ body: { side: 'sell', energy_wh: 500, price: 150, tif: 'gtc' } });
    expect(orderBody({ ...form, tif: 'ioc' }, INFO, { household: 'C', nowMs: NOW }).body).toEqual({ side: 'sell', energy_wh: 500, price: 150, tif: 'ioc', household: 'C' });
  });
  test('each bad field is named', () => {
    const bad = (f) => orderBody({ ...form, ...f }, INFO, { nowMs: NOW });
    expect(bad({ side: '' })).toMatchObject({ field: 'side', error: 'market.err.side' });
    for (const energy of ['', '0', '-5', '1.5', 'abc', '1e3']) expect(bad({ energy }), energy).toMatchObject({ field: 'energy_wh' });
    for (const price of ['', '9', '501', '15.5']) expect(bad({ price }), price).toMatchObject({ field: 'price', vars: { min: 10, max: 500 } });
    expect(bad({ price: '10' }).body.price).toBe(10);
    expect(bad({ price: '500' }).body.price).toBe(500);
    expect(bad({ tif: 'fok' })).toMatchObject({ field: 'tif' });
    expect(bad({ expires: 'soon' })).toMatchObject({ field: 'expires_at' });
    expect(orderBody(form, INFO, { household: 'E', nowMs: NOW })).toMatchObject({ field: 'household' });
  });
  test('a future expiry is sent as an ISO instant, a past one refused', () => {
    const r = orderBody({ ...form, expires: '2099-01-01T10:00' }, INFO, { nowMs: NOW });
    expect(Date.parse(r.body.expires_at)).toBe(new Date('2099-01-01T10:00').getTime());
    expect(orderBody({ ...form, expires: '2001-01-01T10:00' }, INFO, { nowMs: NOW })).toMatchObject({ field: 'expires_at' });
  });
});

describe('API shapes', () => {
  test('GET /api/market → info, sorted book, last price', () => {
    const m = normalizeMarket({
      currency: 'KRW', price_floor: 1, price_ceiling: 1000, credit_limit: 0, enforce: true, soc_floor: 10, last_price: null,
      book: { bids: [{ price: 140, energy_wh: 100, orders: 1 }, { price: 150, energy_wh: 500, orders: 2 }], asks: [{ price: 170, energy_wh: 3 }, { price: 160, energy_wh: 300, orders: 1 }] },
    });
    expect(m.info).toMatchObject({ currency: 'KRW', price_floor: 1, price_ceiling: 1000, soc_floor: 10 });
    expect(m.book.bids.map((l) => l.price)).toEqual([150, 140]);
    expect(m.book.asks.map((l) => l.price)).toEqual([160, 170]);
    expect(m.last_price).toBe(null);
    expect(normalizeMarket(null).book).toEqual({ bids: [], asks: [] });
  });
  test('depth: cumulative energy and bar widths, the spread', () => {
    const d = depthRows({ bids: [{ price: 150, energy_wh: 100 }, { price: 140, energy_wh: 300 }], asks: [{ price: 160, energy_wh: 200 }] });
    expect(d.bids.map((r) => [r.cum_wh, r.depth])).toEqual([[100, 0.25], [400, 1]]);
    expect(d.asks[0].depth).toBe(0.5);
    expect(d.spread).toBe(10);
  });
  test('accounts with relay_blocked; unknown values dropped', () => {
    const a = normalizeAccounts({ accounts: { A: { energy_wh: 0, money: 10, free_energy_wh: 0, free_money: 10, relay_blocked: 'energy_balance' }, B: { energy_wh: 5, money: 1, relay_blocked: 'weird' }, X: {} } });
    expect(a.A.relay_blocked).toBe('energy_balance');
    expect(a.B).toMatchObject({ relay_blocked: null, free_energy_wh: 5 });
    expect(Object.keys(a)).toEqual(['A', 'B']);
  });
  test('order_update: an open order goes in (newest first), a closed one goes out', () => {
    let list = upsertOrder([], { id: 1, status: 'open' });
    list = upsertOrder(list, { id: 2, status: 'open' });
    expect(list.map((o) => o.id)).toEqual([2, 1]);
    list = upsertOrder(list, { id: 1, status: 'open', filled_wh: 5 });
    expect(list[1].filled_wh).toBe(5);
    expect(upsertOrder(list, { id: 2, status: 'cancelled' }).map((o) => o.id)).toEqual([1]);
    expect(upsertOrder(list, { id: 9, status: 'filled' })).toBe(list);
  });
  test('trades: merged without duplicates, newest first; chart columns oldest first', () => {
    const t1 = { id: 1, price: 150, at: '2026-11-30T01:00:00.000Z' };
    const t2 = { id: 2, price: 160, at: '2026-11-30T01:00:05.000Z' };
    const list = addTrades(addTrades([], [t1]), [t2, t1]);
    expect(list.map((t) => t.id)).toEqual([2, 1]);
    expect(tradeSeries(list)).toEqual([[Date.parse(t1.at) / 1000, Date.parse(t2.at) / 1000], [150, 160]]);
  });
  test('statement: inclusive days (UTC or the backend’s UTC_OFFSET_HOURS), the CSV link', () => {
    const r = statementRange('2026-11-24', '2026-11-30');
    expect(r).toEqual({ from: '2026-11-24T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    // Days that start at UTC+9 (UTC_OFFSET_HOURS=9): the day begins at 15:00 UTC the day before.
    expect(statementRange('2026-11-24', '2026-11-30', 9)).toEqual({ from: '2026-11-23T15:00:00.000Z', to: '2026-11-30T15:00:00.000Z' });
    expect(defaultStatementDays(Date.parse('2026-11-30T16:00:00.000Z'), 9)).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    expect(defaultStatementDays(Date.parse('2026-11-30T16:00:00.000Z'))).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect([zoneLabel(0), zoneLabel(9), zoneLabel(-3)]).toEqual(['UTC', 'UTC+9', 'UTC-3']);
    expect(statementRange('2026-11-30', '2026-11-24')).toBe(null);
    expect(statementRange('', '2026-11-24')).toBe(null);
    expect(statementPath('B', r, 'csv')).toBe('/api/market/statement?household=B&from=2026-11-24T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&format=csv');
  });
});

describe('who trades for whom', () => {
  test('household users trade for their own household; admin/operator and AUTH=off pick one; viewers read', () => {
    expect(tradeRole({ status: 'user', user: { role: 'household', household: 'B' } }, 'real')).toEqual({ canTrade: true, fixed: 'B', sendHousehold: false });
    expect(tradeRole({ status: 'user', user: { role: 'operator' } }, 'real')).toMatchObject({ canTrade: true, fixed: null, sendHousehold: true });
    expect(tradeRole({ status: 'off' }, 'real')).toMatchObject({ canTrade: true, fixed: null });
    expect(tradeRole({ status: 'user', user: { role: 'viewer' } }, 'real').canTrade).toBe(false);
    expect(tradeRole({ status: 'guest' }, 'real').canTrade).toBe(false);
    expect(tradeRole({ status: 'unknown' }, 'virtual')).toMatchObject({ canTrade: true, fixed: null });
  });
  test('money in the currency', () => {
    expect(fmtMoney(12345, 'KRW', 'en-US')).toBe('₩12,345');
    expect(fmtMoney(12345, 'USD', 'en-US')).toBe('$123.45');
    expect(fmtMoney(null)).toBe('—');
  });
});
