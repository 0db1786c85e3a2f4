// Virtual mode's market: a small in-browser continuous double auction (price-time
// priority, trades at the resting order's price, partial fills, gtc/ioc, expiry, self-trades
// refused) with simulated counterparties, the same shapes as the market API (ORDER, TRADE,
// ACCOUNT, statement days). Pure and synchronous: every function takes the state and
// returns a new one; the clock and the random source are passed in. Nothing here reaches
// a backend. Errors come back as { error, status, field } like the API's 4xx answers.
import { ACCOUNTS, amountOf, utcDay } from './market.js';

export const SIM_MARKET = {
  currency: 'KRW', price_floor: 1, price_ceiling: 1000, credit_limit: 0, enforce: true, soc_floor: 5,
  shares: { A: 25, B: 25, C: 25, D: 25, pool: 0 },
};
export const SIM_START = { energy_wh: 2000, money: 50000 };
export const SIM_MID_PRICE = 150;
const KEEP_CLOSED = 200;
const KEEP_TRADES = 300;
const KEEP_DAYS = 40;

const iso = (ms) => new Date(ms).toISOString();

export function createMarketSim(nowMs = Date.now()) {
  const accounts = {};
  for (const h of ACCOUNTS) accounts[h] = { ...SIM_START, relay_blocked: null };
  return { next_order: 1, next_trade: 1, orders: [], trades: [], accounts, last_price: null, days: {}, created_at: iso(nowMs) };
}

// A stored state (JSON) back, or a fresh one when it is missing or unreadable.
export function restoreMarketSim(raw, nowMs = Date.now()) {
  try {
    const s = typeof raw === 'string' ? JSON.parse(raw) : raw;
    if (s && Array.isArray(s.orders) && Array.isArray(s.trades) && s.accounts && ACCOUNTS.every((h) => s.accounts[h])) {
      return { days: {}, ...s };
    }
  } catch { /* fall through */ }
  return createMarketSim(nowMs);
}

const remaining = (o) => o.energy_wh - o.filled_wh;
const openOrders = (s) => s.orders.filter((o) => o.status === 'open');

// Balance minus what the account's open orders hold.
export function freeBalances(s, h) {
  const a = s.accounts[h];
  let heldWh = 0;
  let heldMoney = 0;
  for (const o of openOrders(s)) {
    if (o.household !== h) continue;
    if (o.side === 'sell') heldWh += remaining(o);
    else heldMoney += amountOf(remaining(o), o.price);
  }
  return { free_energy_wh: a.energy_wh - heldWh, free_money: a.money - heldMoney };
}

export function accountsOf(s) {
  const out = {};
  for (const h of ACCOUNTS) {
    const a = s.accounts[h];
    out[h] = { energy_wh: a.energy_wh, money: a.money, ...freeBalances(s, h), relay_blocked: a.relay_blocked ?? null, exempt: false };
  }
  return out;
}

function levelsOf(list, depth) {
  const map = new Map();
  for (const o of list) {
    const l = map.get(o.price) ?? { price: o.price, energy_wh: 0, orders: 0 };
    l.energy_wh += remaining(o);
    l.orders += 1;
    map.set(o.price, l);
  }
  return [...map.values()].slice(0, depth);
}

// Priority order: best price first, then the older order.
const bidOrder = (a, b) => b.price - a.price || a.id - b.id;
const askOrder = (a, b) => a.price - b.price || a.id - b.id;

export function bookOf(s, depth = 20) {
  const open = openOrders(s);
  return {
    bids: levelsOf(open.filter((o) => o.side === 'buy').sort(bidOrder), depth),
    asks: levelsOf(open.filter((o) => o.side === 'sell').sort(askOrder), depth),
  };
}

export function ordersOf(s, household, status = 'open') {
  return s.orders
    .filter((o) => (!household || o.household === household) && (status === 'all' || o.status === status))
    .sort((a, b) => b.id - a.id);
}

export function tradesOf(s, household) {
  return s.trades.filter((t) => !household || t.buyer === household || t.seller === household).slice().reverse();
}

function bumpDay(days, h, ms, field, by) {
  const day = utcDay(ms);
  const perH = { ...(days[h] ?? {}) };
  const row = { ...(perH[day] ?? {}) };
  row[field] = (row[field] ?? 0) + by;
  perH[day] = row;
  // Old days go so localStorage stays small.
  const keys = Object.keys(perH).sort();
  for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_DAYS))) delete perH[k];
  return { ...days, [h]: perH };
}

function validate(s, input, nowMs) {
  const { household, side, energy_wh: wh, price, tif = 'gtc', expires_at: exp } = input;
  if (!ACCOUNTS.includes(household)) return { error: 'unknown household', status: 400, field: 'household' };
  if (side !== 'buy' && side !== 'sell') return { error: 'side must be buy or sell', status: 400, field: 'side' };
  if (!Number.isSafeInteger(wh) || wh <= 0) return { error: 'energy_wh must be a whole number above 0', status: 400, field: 'energy_wh' };
  if (!Number.isSafeInteger(price) || price < SIM_MARKET.price_floor || price > SIM_MARKET.price_ceiling) {
    return { error: `price must be between ${SIM_MARKET.price_floor} and ${SIM_MARKET.price_ceiling}`, status: 400, field: 'price' };
  }
  if (tif !== 'gtc' && tif !== 'ioc') return { error: 'tif must be gtc or ioc', status: 400, field: 'tif' };
  if (exp !== undefined && exp !== null && !(Date.parse(exp) > nowMs)) return { error: 'expires_at must be in the future', status: 400, field: 'expires_at' };
  const free = freeBalances(s, household);
  if (side === 'sell' && wh > free.free_energy_wh) return { error: 'insufficient energy', status: 409, field: 'energy_wh' };
  if (side === 'buy' && amountOf(wh, price) > free.free_money + SIM_MARKET.credit_limit) return { error: 'insufficient money', status: 409, field: 'price' };
  return null;
}

// Place a limit order and match it. → { state, order, trades } or { error, status, field }.
export function placeOrder(s, input, nowMs = Date.now()) {
  const bad = validate(s, input, nowMs);
  if (bad) return bad;
  const at = iso(nowMs);
  const order = {
    id: s.next_order, household: input.household, side: input.side, energy_wh: input.energy_wh, filled_wh: 0,
    price: input.price, tif: input.tif ?? 'gtc', status: 'open', reason: null, expires_at: input.expires_at ?? null,
    created_at: at, updated_at: at,
  };
  const orders = s.orders.map((o) => ({ ...o }));
  const accounts = Object.fromEntries(Object.entries(s.accounts).map(([k, v]) => [k, { ...v }]));
  let days = s.days;
  const trades = [];
  let nextTrade = s.next_trade;
  const crosses = (r) => (order.side === 'buy' ? r.price <= order.price : r.price >= order.price);
  const resting = orders
    .filter((o) => o.status === 'open' && o.side !== order.side)
    .sort(order.side === 'buy' ? askOrder : bidOrder);
  for (const r of resting) {
    if (remaining(order) === 0 || !crosses(r)) break;
    if (r.household === order.household) {
      // Self-trade prevention: the incoming order's remainder is cancelled.
      order.status = 'cancelled';
      order.reason = 'self_trade';
      break;
    }
    const qty = Math.min(remaining(order), remaining(r));
    const amount = amountOf(qty, r.price);
    const buy = order.side === 'buy' ? order : r;
    const sell = order.side === 'sell' ? order : r;
    buy.filled_wh += qty;
    sell.filled_wh += qty;
    r.updated_at = at;
    if (remaining(r) === 0) r.status = 'filled';
    accounts[buy.household].energy_wh += qty;
    accounts[buy.household].money -= amount;
    accounts[sell.household].energy_wh -= qty;
    accounts[sell.household].money += amount;
    days = bumpDay(bumpDay(days, buy.household, nowMs, 'bought_wh', qty), buy.household, nowMs, 'spent', amount);
    days = bumpDay(bumpDay(days, sell.household, nowMs, 'sold_wh', qty), sell.household, nowMs, 'earned', amount);
    trades.push({
      id: nextTrade++, buyer: buy.household, seller: sell.household, energy_wh: qty, price: r.price, amount,
      buy_order_id: buy.id, sell_order_id: sell.id, at,
    });
  }
  if (order.status === 'open' && remaining(order) === 0) order.status = 'filled';
  if (order.status === 'open' && order.tif === 'ioc') {
    order.status = 'cancelled';
    order.reason = 'ioc';
  }
  const next = {
    ...s,
    next_order: s.next_order + 1,
    next_trade: nextTrade,
    orders: prune([...orders, order]),
    trades: [...s.trades, ...trades].slice(-KEEP_TRADES),
    accounts: unblock(accounts),
    last_price: trades.length ? trades.at(-1).price : s.last_price,
    days,
  };
  return { state: next, order: { ...order }, trades };
}

// Closed orders beyond the newest KEEP_CLOSED go (localStorage stays small).
function prune(orders) {
  const closed = orders.filter((o) => o.status !== 'open');
  if (closed.length <= KEEP_CLOSED) return orders;
  const drop = new Set(closed.sort((a, b) => a.id - b.id).slice(0, closed.length - KEEP_CLOSED).map((o) => o.id));
  return orders.filter((o) => !drop.has(o.id));
}

// A positive balance lifts an energy-balance block.
function unblock(accounts) {
  for (const a of Object.values(accounts)) if (a.relay_blocked === 'energy_balance' && a.energy_wh > 0) a.relay_blocked = null;
  return accounts;
}

// Cancel an open order. `household` (when given) must own it. → { state, order } or an error.
export function cancelOrder(s, id, household = null, nowMs = Date.now()) {
  const o = s.orders.find((x) => x.id === id);
  if (!o || (household && o.household !== household)) return { error: 'unknown order', status: 404 };
  if (o.status !== 'open') return { error: `order is ${o.status}`, status: 409 };
  const order = { ...o, status: 'cancelled', reason: 'user', updated_at: iso(nowMs) };
  return { state: { ...s, orders: prune(s.orders.map((x) => (x.id === id ? order : x))) }, order };
}

// Open orders whose expires_at has passed become 'expired'. → { state, expired: [ORDER] }
export function expireOrders(s, nowMs = Date.now()) {
  const expired = [];
  const orders = s.orders.map((o) => {
    if (o.status !== 'open' || !o.expires_at || Date.parse(o.expires_at) > nowMs) return o;
    const e = { ...o, status: 'expired', reason: 'expired', updated_at: iso(nowMs) };
    expired.push(e);
    return e;
  });
  return { state: expired.length ? { ...s, orders } : s, expired };
}

// Delivery: solar energy credited by share, each household's use debited; a household
// at 0 Wh is blocked (its relay goes off), and so is every one when SoC is at the floor.
//   solarWh: energy in over the interval; usedWh: { A: Wh, ... } for relays that were on.
export function settleEnergy(s, { solarWh = 0, usedWh = {}, soc = null }, nowMs = Date.now()) {
  const accounts = Object.fromEntries(Object.entries(s.accounts).map(([k, v]) => [k, { ...v }]));
  let days = s.days;
  const shares = SIM_MARKET.shares;
  const total = Object.values(shares).reduce((a, b) => a + b, 0) || 1;
  const solar = Math.max(0, Math.round(solarWh));
  let left = solar;
  const owners = ACCOUNTS.filter((h) => shares[h] > 0);
  owners.forEach((h, i) => {
    const part = i === owners.length - 1 ? left : Math.floor((solar * shares[h]) / total);
    left -= part;
    if (part > 0) {
      accounts[h].energy_wh += part;
      days = bumpDay(days, h, nowMs, 'solar_wh', part);
    }
  });
  for (const [h, wh] of Object.entries(usedWh)) {
    const used = Math.min(Math.max(0, Math.round(wh)), Math.max(0, accounts[h]?.energy_wh ?? 0));
    if (!accounts[h] || used === 0) continue;
    accounts[h].energy_wh -= used;
    days = bumpDay(days, h, nowMs, 'consumed_wh', used);
  }
  const atFloor = soc !== null && soc <= SIM_MARKET.soc_floor;
  for (const h of ACCOUNTS) {
    const a = accounts[h];
    if (h === 'pool') continue;
    if (atFloor) a.relay_blocked = 'soc_floor';
    else if (a.energy_wh <= 0) a.relay_blocked = 'energy_balance';
    else a.relay_blocked = null;
  }
  return { ...s, accounts, days };
}

// The simulated counterparties: every household but `user` (and the pool) keep a couple of
// orders around the mid price; now and then one crosses (a trade), an old one is withdrawn.
export function counterpartyStep(s, { user = 'A', rng = Math.random, nowMs = Date.now() } = {}) {
  let state = s;
  const others = ACCOUNTS.filter((h) => h !== user);
  const mid = state.last_price ?? SIM_MID_PRICE;
  const events = { orders: [], trades: [] };
  const who = others[Math.floor(rng() * others.length)];
  const mine = ordersOf(state, who);
  if (mine.length >= 3 || (mine.length > 0 && rng() < 0.2)) {
    const oldest = mine.at(-1);
    const c = cancelOrder(state, oldest.id, who, nowMs);
    if (!c.error) { state = c.state; events.orders.push(c.order); }
    return { state, ...events };
  }
  const side = rng() < 0.5 ? 'buy' : 'sell';
  const crossing = rng() < 0.3;
  const offset = 1 + Math.floor(rng() * 15);
  let price = side === 'buy' ? mid - offset : mid + offset;
  if (crossing) price = side === 'buy' ? mid + offset : mid - offset;
  price = Math.min(SIM_MARKET.price_ceiling, Math.max(SIM_MARKET.price_floor, price));
  const energy = 50 * (1 + Math.floor(rng() * 8));
  const r = placeOrder(state, { household: who, side, energy_wh: energy, price, tif: 'gtc' }, nowMs);
  if (!r.error) {
    state = r.state;
    events.orders.push(r.order);
    events.trades.push(...r.trades);
  }
  return { state, ...events };
}

const STATEMENT_KEYS = ['solar_wh', 'consumed_wh', 'estimated_wh', 'bought_wh', 'sold_wh', 'spent', 'earned', 'adjusted_wh', 'adjusted_money'];

// The bill for one household between two instants, per UTC day (same shape as the API).
export function statementOf(s, household, fromIso, toIso) {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  const perH = s.days?.[household] ?? {};
  const days = [];
  const totals = Object.fromEntries(STATEMENT_KEYS.map((k) => [k, 0]));
  for (let ms = from; ms < to; ms += 86400000) {
    const day = utcDay(ms);
    const row = { day, ...Object.fromEntries(STATEMENT_KEYS.map((k) => [k, perH[day]?.[k] ?? 0])) };
    for (const k of STATEMENT_KEYS) totals[k] += row[k];
    days.push(row);
  }
  return { household, currency: SIM_MARKET.currency, from: fromIso, to: toIso, days, totals };
}

// The same statement as CSV text (the virtual mode's download).
export function statementCsv(st) {
  const head = ['day', ...STATEMENT_KEYS].join(',');
  return [head, ...st.days.map((d) => [d.day, ...STATEMENT_KEYS.map((k) => d[k])].join(','))].join('\n') + '\n';
}
