// The Trade page's market helpers: pure functions over the market API's shapes
// (docs: GET /api/market, /api/market/orders, /trades, /accounts, /statement). No fetch,
// no sockets, no React here, so they run the same in the browser and in vitest.
import { localInputToIso } from './auth.js';
import { HOUSEHOLDS } from '../state/normalize.js';

export const ACCOUNTS = [...HOUSEHOLDS, 'pool'];
export const SIDES = ['buy', 'sell'];
export const TIFS = ['gtc', 'ioc'];

export const DEFAULT_MARKET = {
  currency: 'KRW', price_floor: 1, price_ceiling: 1000, credit_limit: 0, enforce: true, soc_floor: null,
};

const int = (v) => (Number.isInteger(v) ? v : Number.isFinite(Number(v)) && v !== null && v !== '' ? Math.round(Number(v)) : null);

// GET /api/market → { info: {currency, price_floor, ...}, book, last_price }.
export function normalizeMarket(body) {
  const b = body && typeof body === 'object' ? body : {};
  const info = { ...DEFAULT_MARKET };
  if (typeof b.currency === 'string' && /^[A-Z]{3}$/.test(b.currency)) info.currency = b.currency;
  for (const k of ['price_floor', 'price_ceiling', 'credit_limit', 'soc_floor']) if (int(b[k]) !== null) info[k] = int(b[k]);
  if (typeof b.enforce === 'boolean') info.enforce = b.enforce;
  if (b.shares && typeof b.shares === 'object') info.shares = b.shares;
  return { info, book: normalizeBook(b.book), last_price: int(b.last_price) };
}

function levels(list, desc) {
  if (!Array.isArray(list)) return [];
  return list
    .map((l) => ({ price: int(l?.price), energy_wh: int(l?.energy_wh), orders: int(l?.orders) }))
    .filter((l) => l.price !== null && l.energy_wh !== null && l.energy_wh > 0)
    .sort((a, b) => (desc ? b.price - a.price : a.price - b.price));
}

// {bids, asks} → bids best (highest) first, asks best (lowest) first.
export function normalizeBook(book) {
  return { bids: levels(book?.bids, true), asks: levels(book?.asks, false) };
}

// Depth rows for display: each level with its cumulative energy and its bar width (0..1
// of the deeper side's total).
export function depthRows(book) {
  const cum = (list) => {
    let total = 0;
    return list.map((l) => { total += l.energy_wh; return { ...l, cum_wh: total }; });
  };
  const bids = cum(book.bids);
  const asks = cum(book.asks);
  const max = Math.max(1, bids.at(-1)?.cum_wh ?? 0, asks.at(-1)?.cum_wh ?? 0);
  const bar = (r) => ({ ...r, depth: r.cum_wh / max });
  return { bids: bids.map(bar), asks: asks.map(bar), spread: book.asks[0] && book.bids[0] ? book.asks[0].price - book.bids[0].price : null };
}

// ACCOUNT → numbers or null; relay_blocked 'energy_balance' | 'soc_floor' | null.
export function normalizeAccount(a) {
  if (!a || typeof a !== 'object') return null;
  const blocked = a.relay_blocked === 'energy_balance' || a.relay_blocked === 'soc_floor' ? a.relay_blocked : null;
  return {
    energy_wh: int(a.energy_wh),
    money: int(a.money),
    free_energy_wh: int(a.free_energy_wh ?? a.energy_wh),
    free_money: int(a.free_money ?? a.money),
    relay_blocked: blocked,
    exempt: a.exempt === true,
  };
}

// GET /api/market/accounts → { A: ACCOUNT, ... }
export function normalizeAccounts(body) {
  const src = body?.accounts && typeof body.accounts === 'object' ? body.accounts : {};
  const out = {};
  for (const h of ACCOUNTS) {
    const a = normalizeAccount(src[h]);
    if (a) out[h] = a;
  }
  return out;
}

// One order in the open list: an order_update replaces it, or removes it once it is no
// longer open. Newest first.
export function upsertOrder(orders, order) {
  if (!order || order.id === undefined) return orders;
  const rest = orders.filter((o) => o.id !== order.id);
  if (order.status !== 'open') return rest.length === orders.length ? orders : rest;
  return [order, ...rest].sort((a, b) => b.id - a.id);
}

// A trade_executed event (or REST trades) into the recent list: newest first, no
// duplicates, at most `limit`.
export function addTrades(trades, incoming, limit = 200) {
  const byId = new Map(trades.map((t) => [t.id, t]));
  for (const t of incoming) if (t && t.id !== undefined) byId.set(t.id, { ...byId.get(t.id), ...t });
  return [...byId.values()].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.id - a.id).slice(0, limit);
}

// Trades → TimeChart columns [xs (epoch s), prices], oldest first.
export function tradeSeries(trades) {
  const sorted = trades
    .map((t) => ({ t: Date.parse(t.at) / 1000, price: t.price }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.price))
    .sort((a, b) => a.t - b.t);
  return [sorted.map((p) => p.t), sorted.map((p) => p.price)];
}

// Amount of money for energy_wh at price per kWh, in minor units (rounded half up).
export function amountOf(energyWh, price) {
  return Math.round((energyWh * price) / 1000);
}

const WHOLE = /^\s*\d+\s*$/;

// The order form → the POST /api/market/orders body, or the first problem as
// { error: i18n key, field, vars } (field names the API's field).
//   form: { side, energy, price, tif, expires (datetime-local value or '') }
//   household: sent only when the caller may name one (admin/operator, AUTH=off).
export function orderBody(form, info = DEFAULT_MARKET, { household = null, nowMs = Date.now() } = {}) {
  if (!SIDES.includes(form.side)) return { error: 'market.err.side', field: 'side' };
  const energy = WHOLE.test(String(form.energy ?? '')) ? Number(form.energy) : NaN;
  if (!Number.isSafeInteger(energy) || energy <= 0) return { error: 'market.err.energy', field: 'energy_wh' };
  const min = info.price_floor;
  const max = info.price_ceiling;
  const price = WHOLE.test(String(form.price ?? '')) ? Number(form.price) : NaN;
  if (!Number.isSafeInteger(price) || price < min || price > max) {
    return { error: 'market.err.price', field: 'price', vars: { min, max } };
  }
  const tif = form.tif || 'gtc';
  if (!TIFS.includes(tif)) return { error: 'market.err.tif', field: 'tif' };
  const body = { side: form.side, energy_wh: energy, price, tif };
  if (form.expires) {
    const iso = localInputToIso(form.expires);
    if (!iso || Date.parse(iso) <= nowMs) return { error: 'market.err.expires', field: 'expires_at' };
    body.expires_at = iso;
  }
  if (household) {
    if (!ACCOUNTS.includes(household)) return { error: 'market.err.household', field: 'household' };
    body.household = household;
  }
  return { body };
}

// A calendar day 'YYYY-MM-DD' → its first instant, where days start at UTC+offsetHours
// (the backend's UTC_OFFSET_HOURS; the statement's answer says which). `to` days are
// inclusive, so the range ends at the start of the day after.
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export function statementRange(fromDay, toDay, offsetHours = 0) {
  if (!DAY.test(fromDay ?? '') || !DAY.test(toDay ?? '')) return null;
  const shift = offsetHours * 3600000;
  const from = Date.parse(`${fromDay}T00:00:00.000Z`) - shift;
  const to = Date.parse(`${toDay}T00:00:00.000Z`) + 86400000 - shift;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return null;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

// The calendar day of an instant where days start at UTC+offsetHours.
export function utcDay(ms, offsetHours = 0) {
  return new Date(ms + offsetHours * 3600000).toISOString().slice(0, 10);
}

// The statement view's default: the last 7 days up to today.
export function defaultStatementDays(nowMs = Date.now(), offsetHours = 0) {
  return { from: utcDay(nowMs - 6 * 86400000, offsetHours), to: utcDay(nowMs, offsetHours) };
}

// 'UTC', 'UTC+9', 'UTC-3' for the date fields' labels.
export function zoneLabel(offsetHours = 0) {
  if (!offsetHours) return 'UTC';
  return `UTC${offsetHours > 0 ? '+' : '-'}${Math.abs(offsetHours)}`;
}

export function statementPath(household, range, format) {
  const q = new URLSearchParams({ household, from: range.from, to: range.to });
  if (format) q.set('format', format);
  return `/api/market/statement?${q}`;
}

export function ordersPath(household) {
  const q = new URLSearchParams({ status: 'open' });
  if (household) q.set('household', household);
  return `/api/market/orders?${q}`;
}

export function tradesPath(nowMs = Date.now(), hours = 24) {
  return `/api/market/trades?${new URLSearchParams({ from: new Date(nowMs - hours * 3600000).toISOString() })}`;
}

export const STATEMENT_FIELDS = ['solar_wh', 'consumed_wh', 'bought_wh', 'sold_wh', 'spent', 'earned', 'adjusted_wh', 'adjusted_money'];

// Which accounts the principal may trade for, and which one is "mine".
//   → { canTrade, fixed (household user: its own, no picker), sendHousehold }
export function tradeRole(auth, mode) {
  if (mode === 'virtual') return { canTrade: true, fixed: auth?.status === 'user' && auth.user?.role === 'household' ? auth.user.household : null, sendHousehold: true };
  if (auth?.status === 'off' || auth?.status === 'unknown') return { canTrade: true, fixed: null, sendHousehold: true };
  if (auth?.status === 'user' && auth.user) {
    const { role, household } = auth.user;
    if (role === 'household') return { canTrade: Boolean(household), fixed: household, sendHousehold: false };
    if (role === 'admin' || role === 'operator') return { canTrade: true, fixed: null, sendHousehold: true };
  }
  return { canTrade: false, fixed: null, sendHousehold: false };
}

// Money in minor units → display text in the currency (KRW has no minor digits).
export function currencyDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 0;
  }
}

export function fmtMoney(minor, currency = 'KRW', locale = 'ko-KR') {
  if (minor === null || minor === undefined || !Number.isFinite(Number(minor))) return '—';
  const d = currencyDigits(currency);
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: d, maximumFractionDigits: d })
      .format(Number(minor) / 10 ** d);
  } catch {
    return `${minor} ${currency}`;
  }
}

// A time in a list: the clock alone for today (local), the date too otherwise.
export function fmtWhen(iso, locale, nowMs = Date.now()) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const today = new Date(nowMs).toDateString() === d.toDateString();
  const time = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  return d.toLocaleString(locale, today ? time : { month: '2-digit', day: '2-digit', ...time });
}
