import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchJson } from '../lib/api.js';
import {
  addTrades, normalizeAccount, normalizeAccounts, normalizeBook, normalizeMarket, ordersPath, statementPath, tradesPath, upsertOrder,
} from '../lib/market.js';
import {
  accountsOf, bookOf, cancelOrder, counterpartyStep, expireOrders, ordersOf, placeOrder, restoreMarketSim, settleEnergy,
  SIM_MARKET, statementOf, tradesOf,
} from '../lib/marketSim.js';
import { useGrid } from './GridProvider.jsx';
import { HOUSE_LOAD_W, SIM_INTERVAL_MS, SIM_SPEEDUP } from './simulator.js';
import { getSocket } from './socket.js';

// The Trade page's market state for one household (`household`: the account whose
// balance, open orders and statement are shown).
//  real mode:    REST snapshot on (re)connect and household change, then the Socket.IO
//                events market_update, trade_executed, account_update, order_update; a
//                refetch after each own order or cancel.
//  virtual mode: the in-browser market of lib/marketSim.js, kept in localStorage, with
//                simulated counterparties and delivery (solar credited, use debited, a
//                household at 0 Wh has its virtual relay switched off).
// → { status: 'loading'|'ok'|'unavailable'|'failed', reason, info, book, last_price,
//     accounts, orders, trades, place(body) → res, cancel(id) → res, statement(range) → res }
// (res: fetchJson's shape, also for the simulation).
export const SIM_KEY = 'solgrid.virtual.market';

const EMPTY = { status: 'loading', reason: null, info: null, book: { bids: [], asks: [] }, last_price: null, accounts: {}, orders: [], trades: [] };

function loadSim() {
  try { return restoreMarketSim(localStorage.getItem(SIM_KEY)); } catch { return restoreMarketSim(null); }
}
function saveSim(s) {
  try { localStorage.setItem(SIM_KEY, JSON.stringify(s)); } catch { /* storage full or denied */ }
}

const simAnswer = (r, status = 201) => (r.error
  ? { ok: false, kind: 'http', status: r.status, data: { success: false, error: r.error, field: r.field } }
  : { ok: true, status, data: r });

export function useMarket(household) {
  const { mode, epoch, reading, relays, setRelay } = useGrid();
  const [state, setState] = useState(EMPTY);
  const householdRef = useRef(household);
  householdRef.current = household;
  const seq = useRef(0);

  // ---------- real mode ----------
  const loadReal = useCallback(async () => {
    const mine = ++seq.current;
    const h = householdRef.current;
    const [market, accounts, orders, trades] = await Promise.all([
      fetchJson('/api/market', { timeoutMs: 8000 }),
      fetchJson('/api/market/accounts', { timeoutMs: 8000 }),
      h ? fetchJson(ordersPath(h), { timeoutMs: 8000 }) : Promise.resolve(null),
      fetchJson(tradesPath(), { timeoutMs: 8000 }),
    ]);
    if (mine !== seq.current) return; // a newer load (or mode change) took over
    if (!market.ok) {
      const reason = market.kind === 'http' ? `HTTP ${market.status}` : market.kind;
      // A refetch that fails keeps what is shown (the events keep it current).
      setState((s) => (s.status === 'ok' ? s : { ...EMPTY, status: market.status === 404 ? 'unavailable' : 'failed', reason }));
      return;
    }
    const m = normalizeMarket(market.data);
    setState((s) => ({
      status: 'ok',
      reason: null,
      info: m.info,
      book: m.book,
      last_price: m.last_price,
      accounts: accounts.ok ? normalizeAccounts(accounts.data) : s.accounts,
      orders: orders?.ok && Array.isArray(orders.data?.orders) ? orders.data.orders.filter((o) => o.status === 'open') : [],
      trades: trades.ok && Array.isArray(trades.data?.trades) ? addTrades([], trades.data.trades) : s.trades,
    }));
  }, []);

  const shownRef = useRef({ mode: null, epoch: null });
  useEffect(() => {
    if (mode !== 'real') return undefined;
    // A new connection (or coming from virtual mode) starts empty; another household
    // keeps the book and trades on screen while its own data loads.
    if (shownRef.current.mode !== mode || shownRef.current.epoch !== epoch) setState(EMPTY);
    shownRef.current = { mode, epoch };
    loadReal();
    const socket = getSocket();
    const onMarket = (d) => setState((s) => ({
      ...s,
      book: d?.book ? normalizeBook(d.book) : s.book,
      last_price: d && 'last_price' in d ? d.last_price : s.last_price,
    }));
    // account_update reaches only the account's own room (and operators): the other cards'
    // balances are read again after trades, at most once per burst.
    let accountsTimer = null;
    const refetchAccounts = () => {
      if (accountsTimer) return;
      accountsTimer = setTimeout(async () => {
        accountsTimer = null;
        const res = await fetchJson('/api/market/accounts', { timeoutMs: 8000 });
        if (res.ok) setState((s) => ({ ...s, accounts: { ...s.accounts, ...normalizeAccounts(res.data) } }));
      }, 500);
    };
    const onTrade = (t) => {
      if (!t || t.id === undefined) return;
      setState((s) => ({ ...s, trades: addTrades(s.trades, [t]), last_price: t.price ?? s.last_price }));
      refetchAccounts();
    };
    const onAccount = (d) => {
      const a = normalizeAccount(d);
      if (a && typeof d.household === 'string') setState((s) => ({ ...s, accounts: { ...s.accounts, [d.household]: a } }));
    };
    const onOrder = (o) => {
      if (o && o.household === householdRef.current) setState((s) => ({ ...s, orders: upsertOrder(s.orders, o) }));
    };
    socket.on('market_update', onMarket);
    socket.on('trade_executed', onTrade);
    socket.on('account_update', onAccount);
    socket.on('order_update', onOrder);
    return () => {
      seq.current++;
      clearTimeout(accountsTimer);
      socket.off('market_update', onMarket);
      socket.off('trade_executed', onTrade);
      socket.off('account_update', onAccount);
      socket.off('order_update', onOrder);
    };
  }, [mode, epoch, household, loadReal]);

  // ---------- virtual mode ----------
  const simRef = useRef(null);
  const gridRef = useRef({ reading, relays, setRelay });
  gridRef.current = { reading, relays, setRelay };

  const publishSim = useCallback((s) => {
    simRef.current = s;
    saveSim(s);
    const h = householdRef.current;
    setState({
      status: 'ok', reason: null, info: SIM_MARKET, book: bookOf(s), last_price: s.last_price,
      accounts: accountsOf(s), orders: h ? ordersOf(s, h) : [], trades: tradesOf(s).slice(0, 200),
    });
  }, []);

  useEffect(() => {
    if (mode !== 'virtual') return undefined;
    shownRef.current = { mode, epoch: null };
    let start = loadSim();
    // A fresh (or emptied) market opens with a few counterparty orders in the book.
    if (!start.orders.some((o) => o.status === 'open')) {
      for (let i = 0; i < 12; i++) start = counterpartyStep(start, { user: householdRef.current ?? 'A' }).state;
    }
    publishSim(start);
    let last = Date.now();
    const tick = () => {
      const now = Date.now();
      const dtSec = Math.min(60, Math.max(0.5, (now - last) / 1000));
      last = now;
      const { reading: r, relays: rl, setRelay: sr } = gridRef.current;
      let s = expireOrders(simRef.current ?? loadSim(), now).state;
      s = counterpartyStep(s, { user: householdRef.current ?? 'A', nowMs: now }).state;
      const scale = (dtSec * SIM_SPEEDUP) / 3600;
      const usedWh = Object.fromEntries(Object.entries(rl).filter(([, on]) => on === true).map(([h]) => [h, HOUSE_LOAD_W * scale]));
      s = settleEnergy(s, { solarWh: (r?.solar_w ?? 0) * scale, usedWh, soc: r?.soc ?? null }, now);
      publishSim(s);
      // Delivery: a blocked household's (virtual) relay goes off.
      for (const [h, on] of Object.entries(rl)) if (on === true && s.accounts[h]?.relay_blocked) sr(h, false);
    };
    const timer = setInterval(tick, SIM_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [mode, household, publishSim]);

  // ---------- actions ----------
  const place = useCallback(async (body) => {
    if (mode === 'virtual') {
      const s = simRef.current ?? loadSim();
      const r = placeOrder(s, { ...body, household: body.household ?? householdRef.current }, Date.now());
      if (!r.error) publishSim(r.state);
      return simAnswer(r.error ? r : { order: r.order, trades: r.trades });
    }
    const res = await fetchJson('/api/market/orders', { method: 'POST', body, timeoutMs: 10000 });
    if (res.ok) {
      const { order, trades } = res.data ?? {};
      setState((s) => ({ ...s, orders: order ? upsertOrder(s.orders, order) : s.orders, trades: Array.isArray(trades) ? addTrades(s.trades, trades) : s.trades }));
    }
    loadReal();
    return res;
  }, [mode, loadReal, publishSim]);

  const cancel = useCallback(async (id) => {
    if (mode === 'virtual') {
      const r = cancelOrder(simRef.current ?? loadSim(), id, householdRef.current, Date.now());
      if (!r.error) publishSim(r.state);
      return simAnswer(r.error ? r : { order: r.order }, 200);
    }
    const res = await fetchJson(`/api/market/orders/${encodeURIComponent(id)}`, { method: 'DELETE', timeoutMs: 10000 });
    if (res.ok && res.data?.order) setState((s) => ({ ...s, orders: upsertOrder(s.orders, res.data.order) }));
    loadReal();
    return res;
  }, [mode, loadReal, publishSim]);

  const statement = useCallback(async (h, range) => {
    if (mode === 'virtual') return simAnswer(statementOf(simRef.current ?? loadSim(), h, range.from, range.to), 200);
    return fetchJson(statementPath(h, range), { timeoutMs: 15000 });
  }, [mode]);

  return { ...state, mode, place, cancel, statement };
}
