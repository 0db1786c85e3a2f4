// Access control in the real browser against the real binary: `build/solgrid serve` with
// AUTH=on (and ADMIN_PASSWORD for the first admin) on an ephemeral port, serving the built
// frontend from the same origin; and once with AUTH=off (the seed's open dashboard).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Backend, freePort } from './lib/backend.mjs';
import {
  DESKTOP, MOBILE, hookText, launchBrowser, missingPrerequisite, navigate, screenshot, skipOrThrow, waitForMode,
} from './lib/env.mjs';
import { pageFetch } from './lib/page-fetch.mjs';

const missing = missingPrerequisite({ backend: true });
const skip = missing ? skipOrThrow(missing) : false;

const ADMIN_PASSWORD = 'e2e-admin-pass-7Qx!';
const BEE_PASSWORD = 'bee-pass-e2e-42';
const HOUSEHOLDS = ['A', 'B', 'C', 'D'];


async function login(page, username, password) {
  await page.waitForSelector('[data-testid="login-page"]');
  await page.fill('[data-testid="login-username"]', username);
  await page.fill('[data-testid="login-password"]', password);
  await page.click('[data-testid="login-submit"]');
}

async function loginOk(page, username, password) {
  await login(page, username, password);
  await page.waitForSelector(`[data-testid="user-name"]:text-is("${username}")`, { timeout: 10000 });
}

const loginErrorIs = (page, text) =>
  page.waitForFunction((want) => document.querySelector('[data-testid="login-error"]')?.textContent.trim() === want, text, { timeout: 5000 });

const enabledSwitches = (page) =>
  page.$$eval('[data-testid^="relay-switch-"]', (els) => els.filter((e) => !e.disabled).map((e) => e.dataset.testid.slice(-1)).sort());

describe('access control in the dashboard (AUTH=on)', { skip }, () => {
  let backend;
  let browser;
  let admin; // { context, page } logged in as admin for the whole suite
  let deviceToken;

  before(async () => {
    backend = new Backend({ port: await freePort(), name: 'solgrid-e2e-auth', env: { AUTH: 'on', ADMIN_PASSWORD, MARKET_ENFORCE: 'off' } });
    await backend.start();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await backend?.dispose();
  });

  async function open(path = '/trade', viewport = DESKTOP, context = null) {
    const ctx = context ?? (await browser.newContext({ viewport }));
    const page = await ctx.newPage();
    await page.goto(`${backend.url}${path}`);
    return { context: ctx, page };
  }

  test('not logged in: the login page instead of the dashboard', async () => {
    const { context, page } = await open('/trade');
    await page.waitForSelector('[data-testid="login-page"]');
    for (const id of ['login-username', 'login-password', 'login-submit']) {
      assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 1, id);
    }
    assert.equal(await page.locator('[data-testid="connection-mode"]').count(), 0, 'the dashboard is shown');
    assert.equal(await page.locator('[data-testid="auth-off-banner"]').count(), 0);
    assert.equal((await pageFetch(page, '/api/auth/me')).status, 401);
    await screenshot(page, 'login-page');
    await context.close();
  });

  test('a wrong password is refused, in Korean and in English', async () => {
    const { context, page } = await open('/trade');
    await login(page, 'admin', 'not-the-password');
    await loginErrorIs(page, '아이디 또는 비밀번호가 올바르지 않습니다.');
    assert.equal(await page.locator('[data-testid="user-name"]').count(), 0);
    await page.click('[data-testid="lang-switch"]');
    await loginErrorIs(page, 'Invalid username or password.');
    // An unknown user gets the same answer.
    await login(page, 'nobody-here', 'whatever');
    await page.waitForSelector('[data-testid="login-submit"]:not([disabled])');
    await loginErrorIs(page, 'Invalid username or password.');
    await screenshot(page, 'login-error-en');
    await context.close();
  });

  test('the admin logs in: name and role in the header, live data, every switch, the admin page', async () => {
    admin = await open('/trade');
    await loginOk(admin.page, 'admin', ADMIN_PASSWORD);
    assert.equal(await admin.page.getAttribute('[data-testid="user-role"]', 'data-role'), 'admin');
    assert.equal(await hookText(admin.page, 'user-role'), '관리자');
    // The socket reconnected with the new session cookie: real mode and live readings.
    await waitForMode(admin.page, 'real');
    await backend.post('/api/data/solar', { soc: 64, solar_w: 10, lux: 100 });
    await admin.page.waitForFunction(() => document.querySelector('[data-testid="energy-balance"]')?.textContent === '6400');
    await admin.page.waitForSelector('[data-testid="relay-switch-D"]:not([disabled])');
    assert.deepEqual(await enabledSwitches(admin.page), HOUSEHOLDS);
    // The session survives a reload.
    await admin.page.reload();
    await admin.page.waitForSelector('[data-testid="user-name"]:text-is("admin")');
    await waitForMode(admin.page, 'real');
    await navigate(admin.page, 'admin');
    await admin.page.waitForSelector('[data-testid="admin-page"]');
    await admin.page.waitForSelector('[data-testid="user-row-admin"]');
    await screenshot(admin.page, 'admin-page');
  });

  test('the admin creates household user B and a device token that is shown once', async () => {
    const { page } = admin;
    await page.fill('[data-testid="user-add-username"]', 'bee');
    await page.fill('[data-testid="user-add-password"]', BEE_PASSWORD);
    await page.selectOption('[data-testid="user-add-role"]', 'household');
    await page.selectOption('[data-testid="user-add-household"]', 'B');
    await page.click('[data-testid="user-add-submit"]');
    await page.waitForSelector('[data-testid="user-row-bee"][data-role="household"][data-household="B"]');
    const users = await pageFetch(page, '/api/users');
    assert.equal(users.status, 200);
    const beeRow = users.body.users.find((u) => u.username === 'bee');
    assert.equal(beeRow?.role, 'household');
    assert.equal(beeRow?.household, 'B');

    // A duplicate is refused and the API's error is shown in place.
    await page.fill('[data-testid="user-add-username"]', 'bee');
    await page.fill('[data-testid="user-add-password"]', 'x-other-pass');
    await page.click('[data-testid="user-add-submit"]');
    await page.waitForSelector('[data-testid="admin-users-error"][data-ok="false"]:has-text("409")');

    await page.fill('[data-testid="device-add-name"]', 'meter-1');
    await page.click('[data-testid="device-add-submit"]');
    await page.waitForSelector('[data-testid="device-token-once"]');
    deviceToken = await page.inputValue('[data-testid="device-token-value"]');
    assert.match(deviceToken, /^sgd_[A-Za-z0-9_-]{40,}$/);
    await page.waitForSelector('[data-testid="device-row-meter-1"][data-revoked="false"]');
    await screenshot(page, 'admin-device-token-once');

    // The token works as a Bearer token for reads; without it reads are refused.
    const withToken = await fetch(`${backend.url}/api/relay/status`, { headers: { Authorization: `Bearer ${deviceToken}` } });
    assert.equal(withToken.status, 200);
    assert.equal((await fetch(`${backend.url}/api/relay/status`)).status, 401);

    // Shown once: after "Done" (and after a reload) it is nowhere in the page or the list.
    await page.click('[data-testid="device-token-dismiss"]');
    assert.equal(await page.locator('[data-testid="device-token-once"]').count(), 0);
    await page.reload();
    await page.waitForSelector('[data-testid="device-row-meter-1"]');
    assert.ok(!(await page.content()).includes(deviceToken), 'the token is shown again');
    assert.ok(!JSON.stringify((await pageFetch(page, '/api/devices')).body).includes(deviceToken));
  });

  test('household B: only its own switch is enabled, and switching it works', async () => {
    const bee = await open('/trade', MOBILE);
    await loginOk(bee.page, 'bee', BEE_PASSWORD);
    assert.equal(await bee.page.getAttribute('[data-testid="user-role"]', 'data-household'), 'B');
    assert.equal(await hookText(bee.page, 'user-role'), 'B 가구');
    await waitForMode(bee.page, 'real');
    await bee.page.waitForSelector('[data-testid="relay-switch-B"]:not([disabled])');
    assert.deepEqual(await enabledSwitches(bee.page), ['B']);
    assert.match(await bee.page.getAttribute('[data-testid="relay-switch-A"]', 'title'), /B 가구 계정은 B 가구 전원만/);
    assert.equal(await bee.page.locator('[data-testid="nav-admin"]').count(), 0, 'a household sees the admin link');
    assert.ok(await bee.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'header overflows 375 px');
    await screenshot(bee.page, 'trade-household-b-375');

    for (let i = 0; i < 2; i++) {
      const was = (await pageFetch(bee.page, '/api/relay/status')).body.B;
      await bee.page.click('[data-testid="relay-switch-B"]');
      await bee.page.waitForSelector(`[data-testid="household-B"][data-state="${was ? 'off' : 'on'}"]`);
      assert.equal((await pageFetch(bee.page, '/api/relay/status')).body.B, !was, 'the relay did not change on the server');
      await bee.page.waitForSelector('[data-testid="relay-switch-B"]:not([disabled])');
    }

    // A deep link to the admin page is not for households.
    await bee.page.goto(`${backend.url}/admin`);
    await bee.page.waitForURL('**/trade');
    await bee.context.close();
  });

  test('a 403 from the server is shown as an error (a page that thinks it may switch A)', async () => {
    // The page is made to believe bee is an operator (only GET /api/auth/me is answered by
    // the test); the switch request itself goes to the real server, which refuses it.
    const bee = await open('/trade');
    await loginOk(bee.page, 'bee', BEE_PASSWORD);
    await bee.page.route('**/api/auth/me', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ auth: 'on', username: 'bee', role: 'operator', household: null }),
    }));
    await bee.page.reload();
    await bee.page.waitForSelector('[data-testid="user-role"][data-role="operator"]');
    await waitForMode(bee.page, 'real');
    await bee.page.waitForSelector('[data-testid="relay-switch-A"]:not([disabled])');
    const aBefore = (await pageFetch(bee.page, '/api/relay/status')).body.A;
    await bee.page.click('[data-testid="relay-switch-A"]');
    await bee.page.waitForSelector('.error-line:has-text("403")');
    assert.match(await bee.page.textContent('.page-trade .error-line'), /household B may switch relay B only/);
    assert.equal((await pageFetch(bee.page, '/api/relay/status')).body.A, aBefore, 'A changed');
    await screenshot(bee.page, 'trade-relay-403');
    await bee.context.close();
  });

  test('the audit log shows the logins and the new user; revoking the device token', async () => {
    const { page } = admin;
    await page.click('[data-testid="audit-load"]');
    await page.waitForSelector('[data-testid="audit-log"][data-status="ok"]');
    await page.waitForSelector('[data-testid="audit-row"][data-action="user.add"][data-target="bee"]');
    await page.waitForSelector('[data-testid="audit-row"][data-action="relay.update"][data-actor="bee"]');
    await page.waitForSelector('[data-testid="audit-row"][data-outcome="failed"]');
    await screenshot(page, 'admin-audit-log');
    // A range of its own (local time) is what the server is asked for: a past day is empty.
    await page.fill('[data-testid="audit-from"]', '2025-01-01T00:00');
    await page.fill('[data-testid="audit-to"]', '2025-01-02T00:00');
    await page.click('[data-testid="audit-load"]');
    await page.waitForSelector('[data-testid="audit-log"][data-status="ok"]');
    await page.waitForSelector('[data-testid="audit-row"]', { state: 'detached' });

    await page.click('[data-testid="device-revoke-meter-1"]');
    await page.click('[data-testid="device-revoke-confirm-meter-1"]');
    await page.waitForSelector('[data-testid="device-row-meter-1"][data-revoked="true"]');
    const res = await fetch(`${backend.url}/api/relay/status`, { headers: { Authorization: `Bearer ${deviceToken}` } });
    assert.equal(res.status, 401, 'a revoked token still works');
  });

  // Removing a user disconnects their sockets, also a session younger than the
  // server's 2 s credential reload (auth_service keeps such a session only
  // until a reload that began after its commit).
  test('removing a user sends their open dashboard back to the login page', async () => {
    const bee = await open('/trade');
    await loginOk(bee.page, 'bee', BEE_PASSWORD);
    await waitForMode(bee.page, 'real');
    await admin.page.click('[data-testid="user-remove-bee"]');
    await admin.page.click('[data-testid="user-remove-confirm-bee"]');
    await admin.page.waitForSelector('[data-testid="user-row-bee"]', { state: 'detached' });
    // The server drops bee's socket; the reconnect is refused ("unauthorized") → login.
    await bee.page.waitForSelector('[data-testid="login-page"]', { timeout: 10000 });
    await bee.context.close();
  });

  test('logout returns to the login page, in this tab and the others of the session', async () => {
    const other = await open('/settings', DESKTOP, admin.context);
    await waitForMode(other.page, 'real');
    await navigate(admin.page, 'trade');
    await admin.page.click('[data-testid="logout-button"]');
    await admin.page.waitForSelector('[data-testid="login-page"]');
    assert.equal((await pageFetch(admin.page, '/api/auth/me')).status, 401);
    await other.page.waitForSelector('[data-testid="login-page"]', { timeout: 10000 });
    await screenshot(other.page, 'login-after-logout');
    await admin.context.close();
  });
});

describe('login attempts are limited (AUTH=on, LOGIN_MAX_FAILURES=2)', { skip }, () => {
  test('after too many failures the page says when to try again', async () => {
    const backend = new Backend({
      port: await freePort(), name: 'solgrid-e2e-auth-limit', env: { AUTH: 'on', ADMIN_PASSWORD, LOGIN_MAX_FAILURES: '2', MARKET_ENFORCE: 'off' },
    });
    await backend.start();
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      await page.goto(`${backend.url}/`);
      for (let i = 0; i < 2; i++) {
        await login(page, 'admin', `wrong-${i}`);
        await loginErrorIs(page, '아이디 또는 비밀번호가 올바르지 않습니다.');
        await page.waitForSelector('[data-testid="login-submit"]:not([disabled])');
      }
      await login(page, 'admin', ADMIN_PASSWORD);
      await page.waitForFunction(() => /^시도 횟수가 너무 많습니다\. \d+초 후에 다시 시도하세요\.$/.test(
        document.querySelector('[data-testid="login-error"]')?.textContent.trim() ?? ''));
      await page.click('[data-testid="lang-switch"]');
      assert.match(await hookText(page, 'login-error'), /^Too many attempts, try again in \d+ s\.$/);
      await screenshot(page, 'login-too-many');
      await context.close();
    } finally {
      await browser.close();
      await backend.dispose();
    }
  });
});

describe('AUTH=off: the seed’s open dashboard with a warning banner', { skip }, () => {
  test('banner on every page, no login, every switch enabled, no admin page', async () => {
    const backend = new Backend({ port: await freePort(), name: 'solgrid-e2e-auth-off' });
    await backend.start();
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      await page.goto(`${backend.url}/`);
      await page.waitForURL('**/trade');
      await waitForMode(page, 'real');
      for (const name of ['trade', 'settings', 'history']) {
        if (name !== 'trade') await navigate(page, name);
        await page.waitForSelector('[data-testid="auth-off-banner"]');
        assert.match(await hookText(page, 'auth-off-banner'), /접근 제어가 꺼져 있습니다.*누구나/);
      }
      await page.click('[data-testid="lang-switch"]');
      assert.match(await hookText(page, 'auth-off-banner'), /Access control is off.*anyone on the network can switch/);
      await navigate(page, 'trade');
      assert.equal(await page.locator('[data-testid="login-page"]').count(), 0);
      assert.equal(await page.locator('[data-testid="user-name"]').count(), 0);
      assert.equal(await page.locator('[data-testid="nav-admin"]').count(), 0);
      await page.waitForSelector('[data-testid="relay-switch-A"]:not([disabled])');
      assert.deepEqual(await enabledSwitches(page), HOUSEHOLDS);
      const before = await page.getAttribute('[data-testid="household-A"]', 'data-state');
      await page.click('[data-testid="relay-switch-A"]');
      await page.waitForSelector(`[data-testid="household-A"][data-state="${before === 'on' ? 'off' : 'on'}"]`);
      await screenshot(page, 'trade-auth-off');
      await context.close();
    } finally {
      await browser.close();
      await backend.dispose();
    }
  });
});

describe('PUBLIC_READ=true: a read-only dashboard for guests, with a way to log in', { skip }, () => {
  test('live data without a login, every switch disabled, "log in" leads to the login page and back', async () => {
    const backend = new Backend({
      port: await freePort(), name: 'solgrid-e2e-guest', env: { AUTH: 'on', ADMIN_PASSWORD, PUBLIC_READ: 'true', MARKET_ENFORCE: 'off' },
    });
    await backend.start();
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      await page.goto(`${backend.url}/trade`);
      await waitForMode(page, 'real');  // the socket connected as a guest: live events
      assert.equal(await page.locator('[data-testid="login-page"]').count(), 0);
      await page.waitForSelector('[data-testid="user-role"][data-role="guest"]');
      await page.waitForSelector('[data-testid="relay-switch-A"]');
      assert.deepEqual(await enabledSwitches(page), []);
      assert.equal(await page.locator('[data-testid="nav-admin"]').count(), 0);
      await page.click('[data-testid="login-button"]');
      await loginOk(page, 'admin', ADMIN_PASSWORD);
      await page.waitForSelector('[data-testid="relay-switch-A"]:not([disabled])');
      assert.deepEqual(await enabledSwitches(page), HOUSEHOLDS);
      await screenshot(page, 'trade-guest-then-admin');
      await context.close();
    } finally {
      await browser.close();
      await backend.dispose();
    }
  });
});
