// The energy market's Trade page in the real browser (issue 13).
// Against the real binary (AUTH=on): an admin and household users alice (A) and bob (B)
// made with the CLI, energy and money given with `solgrid ledger adjust` (once before the start, once
// while the server runs: it picks CLI adjustments up within ~2 s); alice places a sell and
// a buy order, sees both in her open orders and in the book, cancels them and sees them
// gone; the form's own validation and the server's 409; alice and bob trade, and the trade
// shows in both pages' recent trades, balances and alice's statement (with its CSV). The
// admin's household picker. Then virtual mode (no backend): the in-browser market.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Backend, freePort } from './lib/backend.mjs';
import { startStaticServer } from './lib/static-server.mjs';
import {
  DESKTOP, DIST, MOBILE, SOLGRID_BIN, launchBrowser, missingPrerequisite, screenshot, skipOrThrow, waitForMode,
} from './lib/env.mjs';
import { pageFetch } from './lib/page-fetch.mjs';

const missingReal = missingPrerequisite({ backend: true });
const skipReal = missingReal ? skipOrThrow(missingReal) : false;
const missingVirtual = missingPrerequisite();
const skipVirtual = missingVirtual ? skipOrThrow(missingVirtual) : false;

const ADMIN_PASSWORD = 'e2e-market-admin-9Kp!';
const USERS = { alice: { household: 'A', password: 'alice-market-pass-1' }, bob: { household: 'B', password: 'bob-market-pass-22' } };

// `solgrid ARGS` on the backend's database (its cwd: no .env of the repository's).
function solgrid(backend, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(SOLGRID_BIN, args, {
      cwd: backend.dir, env: { PATH: process.env.PATH, DB_PATH: backend.dbPath }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`solgrid ${args.join(' ')} → ${code}: ${out}`))));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}


const attr = (page, sel, name) => page.getAttribute(sel, name);
const waitAttr = (page, testId, name, want, timeout = 10000) =>
  page.waitForSelector(`[data-testid="${testId}"][data-${name}="${want}"]`, { timeout });

async function placeOrder(page, { side, energy, price, tif = 'gtc' }) {
  await page.selectOption('[data-testid="order-side"]', side);
  await page.fill('[data-testid="order-energy"]', String(energy));
  await page.fill('[data-testid="order-price"]', String(price));
  await page.selectOption('[data-testid="order-tif"]', tif);
  await page.click('[data-testid="order-submit"]');
}

// The newest open order of `side` at `price` in the page's open orders → its id.
async function openOrderId(page, side, price) {
  const sel = `[data-testid="open-orders"] [data-testid^="open-order-"][data-side="${side}"][data-price="${price}"]`;
  await page.waitForSelector(sel, { timeout: 10000 });
  return Number((await page.getAttribute(sel, 'data-testid')).replace('open-order-', ''));
}

const level = (side, price, energy) =>
  `[data-testid="book-${side}"] [data-testid="book-level"][data-price="${price}"]${energy === undefined ? '' : `[data-energy="${energy}"]`}`;

describe('the market on the Trade page (real backend, AUTH=on)', { skip: skipReal }, () => {
  let backend;
  let browser;
  let market; // GET /api/market as alice saw it

  before(async () => {
    // Days start at UTC+9 (Korea): the statement view follows the backend's day boundaries.
    backend = new Backend({ port: await freePort(), name: 'solgrid-e2e-market', env: { AUTH: 'on', UTC_OFFSET_HOURS: '9' } });
    // Users made here, so `serve` makes no first admin of its own: the admin too.
    await solgrid(backend, ['user', 'add', 'admin', '--role', 'admin', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
    for (const [name, u] of Object.entries(USERS)) {
      await solgrid(backend, ['user', 'add', name, '--role', 'household', '--household', u.household, '--password-stdin'], `${u.password}\n`);
    }
    await solgrid(backend, ['ledger', 'adjust', 'A', '--energy-wh', '5000', '--money', '100000', '--reason', 'test']);
    await backend.start();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await backend?.dispose();
  });

  async function loginAs(username, password, viewport = DESKTOP) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${backend.url}/trade`);
    await page.waitForSelector('[data-testid="login-page"]');
    await page.fill('[data-testid="login-username"]', username);
    await page.fill('[data-testid="login-password"]', password);
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector(`[data-testid="user-name"]:text-is("${username}")`, { timeout: 10000 });
    await waitForMode(page, 'real');
    await page.waitForSelector('[data-testid="market"][data-status="ok"]', { timeout: 10000 });
    return { context, page };
  }

  let alice;

  test('household A: its balance, no picker, the price bounds; the seed’s cards are still there', async () => {
    alice = await loginAs('alice', USERS.alice.password);
    const { page } = alice;
    await waitAttr(page, 'market-balance-energy', 'value', '5000');
    await waitAttr(page, 'market-balance-money', 'value', '100000');
    assert.equal(await page.locator('[data-testid="market-household-picker"]').count(), 0, 'a household user gets a picker');
    const res = await pageFetch(page, '/api/market');
    assert.equal(res.status, 200);
    market = res.body;
    assert.equal(await attr(page, '[data-testid="order-price-bounds"]', 'data-min'), String(market.price_floor));
    assert.equal(await attr(page, '[data-testid="order-price-bounds"]', 'data-max'), String(market.price_ceiling));
    // The seed's energy balance and household cards.
    assert.equal(await page.locator('[data-testid="energy-balance"]').count(), 1);
    for (const h of ['A', 'B', 'C', 'D']) assert.equal(await page.locator(`[data-testid="household-${h}"]`).count(), 1);
    await page.waitForSelector('[data-testid="household-account-A"][data-energy="5000"]');
    // C has no energy: the market keeps its relay off, and the card says why.
    await page.waitForSelector('[data-testid="household-blocked-C"][data-reason="energy_balance"]');
    assert.equal((await page.textContent('[data-testid="household-blocked-C"]')).trim(), '잔액 부족으로 차단');
    assert.equal(await page.locator('[data-testid="household-blocked-A"]').count(), 0);
    await page.click('[data-testid="lang-switch"]');
    assert.equal((await page.textContent('[data-testid="household-blocked-C"]')).trim(), 'Blocked: energy balance is 0');
    await page.click('[data-testid="lang-switch"]');
  });

  test('the form names a bad field before sending; the server’s 409 is shown', async () => {
    const { page } = alice;
    await placeOrder(page, { side: 'sell', energy: '0', price: market.price_floor });
    await waitAttr(page, 'order-error', 'field', 'energy_wh');
    assert.match(await page.textContent('[data-testid="order-error"]'), /에너지 \(Wh\)/);
    await placeOrder(page, { side: 'sell', energy: 100, price: market.price_ceiling + 1 });
    await waitAttr(page, 'order-error', 'field', 'price');
    assert.match(await page.textContent('[data-testid="order-error"]'), /가격/);
    // More energy than A has: the server refuses with 409.
    await placeOrder(page, { side: 'sell', energy: 999999, price: market.price_floor });
    await waitAttr(page, 'order-error', 'source', 'server');
    assert.match(await page.textContent('[data-testid="order-error"]'), /409/);
    await screenshot(page, 'market-order-409');
  });

  test('a sell and a buy order: in open orders and the book; cancelled, they are gone', async () => {
    const { page } = alice;
    const sellPrice = Math.min(market.price_ceiling, market.price_floor + 200);
    const buyPrice = market.price_floor + 10;
    await placeOrder(page, { side: 'sell', energy: 400, price: sellPrice });
    const sellId = await openOrderId(page, 'sell', sellPrice);
    await page.waitForSelector(level('asks', sellPrice, 400));
    await waitAttr(page, 'market-balance-free', 'energy', '4600');
    await placeOrder(page, { side: 'buy', energy: 300, price: buyPrice });
    const buyId = await openOrderId(page, 'buy', buyPrice);
    await page.waitForSelector(level('bids', buyPrice, 300));
    assert.equal(await page.textContent('[data-testid="order-error"]'), '');
    await screenshot(page, 'market-open-orders');

    await page.click(`[data-testid="cancel-order-${sellId}"]`);
    await page.waitForSelector(`[data-testid="open-order-${sellId}"]`, { state: 'detached' });
    await page.waitForSelector(level('asks', sellPrice), { state: 'detached' });
    await page.click(`[data-testid="cancel-order-${buyId}"]`);
    await page.waitForSelector(`[data-testid="open-order-${buyId}"]`, { state: 'detached' });
    await page.waitForSelector(level('bids', buyPrice), { state: 'detached' });
    await waitAttr(page, 'market-balance-free', 'energy', '5000');
    const open = await pageFetch(page, '/api/market/orders?status=open');
    assert.deepEqual(open.body.orders, []);
    const all = await pageFetch(page, '/api/market/orders?status=all');
    assert.deepEqual(all.body.orders.filter((o) => [sellId, buyId].includes(o.id)).map((o) => o.status), ['cancelled', 'cancelled']);
  });

  test('A sells, B buys: the trade shows in both pages, in the balances and in A’s statement', async () => {
    // B gets money while the server runs; the server picks the adjustment up.
    await solgrid(backend, ['ledger', 'adjust', 'B', '--money', '100000', '--reason', 'test']);
    const bob = await loginAs('bob', USERS.bob.password, MOBILE);
    const deadline = Date.now() + 10000;
    while ((await pageFetch(bob.page, '/api/market/accounts')).body?.accounts?.B?.money !== 100000) {
      assert.ok(Date.now() < deadline, 'the server did not pick up the CLI adjustment of B');
      await bob.page.waitForTimeout(200);
    }
    await bob.page.reload();
    await waitAttr(bob.page, 'market-balance-money', 'value', '100000');
    // B has money but no energy yet: blocked until it buys some; switching its relay on is
    // refused by the server (409), and the page says so.
    await bob.page.waitForSelector('[data-testid="household-blocked-B"][data-reason="energy_balance"]');
    await bob.page.waitForSelector('[data-testid="household-B"][data-state="off"]');
    await bob.page.click('[data-testid="relay-switch-B"]');
    await bob.page.waitForSelector('.households + .error-line:has-text("409")');
    assert.equal(await attr(bob.page, '[data-testid="household-B"]', 'data-state'), 'off');

    const { page } = alice;
    const price = market.price_floor + 50;
    await placeOrder(page, { side: 'sell', energy: 250, price });
    const sellId = await openOrderId(page, 'sell', price);
    // Bob's book shows the ask live (market_update); he buys above it: a trade at the ask.
    await bob.page.waitForSelector(level('asks', price, 250));
    await placeOrder(bob.page, { side: 'buy', energy: 250, price: price + 20 });
    const trade = `[data-testid="recent-trades"] [data-buyer="B"][data-seller="A"][data-energy="250"][data-price="${price}"]`;
    await bob.page.waitForSelector(trade);
    await page.waitForSelector(trade); // alice: trade_executed
    await page.waitForSelector(`[data-testid="open-order-${sellId}"]`, { state: 'detached' }); // order_update: filled
    await page.waitForSelector(level('asks', price), { state: 'detached' });
    await waitAttr(page, 'market-balance-energy', 'value', '4750');
    await waitAttr(bob.page, 'market-balance-energy', 'value', '250');
    await bob.page.waitForSelector('[data-testid="household-blocked-B"]', { state: 'detached' });
    // With energy bought, B may switch its relay on.
    await bob.page.click('[data-testid="relay-switch-B"]');
    await bob.page.waitForSelector('[data-testid="household-B"][data-state="on"]');
    // Alice's card of B follows too (the accounts are read again after a trade).
    await page.waitForSelector('[data-testid="household-account-B"][data-energy="250"]');
    assert.ok(Number(await attr(bob.page, '[data-testid="trade-chart"]', 'data-points')) >= 1);
    assert.ok(await bob.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the Trade page overflows 375 px');
    await screenshot(bob.page, 'market-trade-bob-375');

    // Alice's statement, in the backend's days (UTC+9): today's row has the 250 Wh sold; the
    // CSV link downloads it.
    await page.waitForSelector('[data-testid="statement"][data-utc-offset="9"]');
    assert.match(await page.textContent('[data-testid="statement"]'), /시작일 \(UTC\+9\)/);
    const today = new Date(Date.now() + 9 * 3600000).toISOString().slice(0, 10);
    await page.waitForSelector(`[data-testid="statement-day-${today}"] [data-field="sold_wh"][data-value="250"]`);
    const href = await attr(page, '[data-testid="statement-csv"]', 'href');
    assert.match(href, /^\/api\/market\/statement\?household=A&from=.+&to=.+&format=csv$/);
    const csv = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }; }, href);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /csv/);
    assert.match(csv.text, new RegExp(today));
    await screenshot(page, 'market-trade-alice');
    await bob.context.close();
  });

  test('the admin picks a household and sees its account', async () => {
    const admin = await loginAs('admin', ADMIN_PASSWORD);
    await admin.page.waitForSelector('[data-testid="market-household-picker"]');
    await admin.page.selectOption('[data-testid="market-household-picker"]', 'B');
    await waitAttr(admin.page, 'market-balance-energy', 'value', '250');
    await admin.page.selectOption('[data-testid="market-household-picker"]', 'A');
    await waitAttr(admin.page, 'market-balance-energy', 'value', '4750');
    await admin.context.close();
    await alice.context.close();
  });
});

describe('the market in virtual mode (no backend)', { skip: skipVirtual }, () => {
  let server;
  let browser;
  before(async () => {
    server = await startStaticServer(DIST);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('simulated counterparties; an order placed and cancelled in the browser, nothing sent', async () => {
    const context = await browser.newContext({ viewport: MOBILE });
    const page = await context.newPage();
    await page.goto(`${server.url}/trade`);
    await waitForMode(page, 'virtual');
    await page.waitForSelector('[data-testid="market"][data-status="ok"][data-mode="virtual"]');
    // The simulated counterparties keep a book.
    await page.waitForSelector('[data-testid="book-level"]');
    await page.waitForSelector('[data-testid="market-household-picker"]');
    assert.ok(Number(await attr(page, '[data-testid="market-balance-energy"]', 'data-value')) > 0);
    // An ask far above the counterparties' prices rests in the book.
    await placeOrder(page, { side: 'sell', energy: 100, price: 990 });
    const id = await openOrderId(page, 'sell', 990);
    await page.waitForSelector(level('asks', 990, 100));
    await page.click(`[data-testid="cancel-order-${id}"]`);
    await page.waitForSelector(`[data-testid="open-order-${id}"]`, { state: 'detached' });
    await page.waitForSelector(level('asks', 990), { state: 'detached' });
    // A bid at the ceiling buys from the counterparties (their resting asks, or the next
    // one they place): a trade of A's in recent trades.
    await placeOrder(page, { side: 'buy', energy: 50, price: 1000 });
    await page.waitForSelector('[data-testid="recent-trades"] [data-buyer="A"][data-energy="50"]', { timeout: 30000 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the Trade page overflows 375 px');
    await screenshot(page, 'market-virtual-375');
    assert.ok(!server.requests.some((r) => r.path.startsWith('/api/market/orders')), 'virtual mode sent an order to a backend');
    await context.close();
  });
});
