// The built app against the real backend: `build/solgrid serve` on an ephemeral port,
// serving frontend/dist from the same origin (FRONTEND_DIR), a fresh SQLite DB_PATH.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { Backend, freePort } from './lib/backend.mjs';
import {
  DESKTOP, MOBILE, SOLGRID_BIN, hookText, launchBrowser, missingPrerequisite, navigate, screenshot, skipOrThrow, waitForMode,
} from './lib/env.mjs';

const missing = missingPrerequisite({ backend: true });
const skip = missing ? skipOrThrow(missing) : false;

const REAL_LABEL = '🟢 실제 모드 (백엔드 연결됨)';

describe('real mode against build/solgrid', { skip }, () => {
  let backend;
  let browser;

  before(async () => {
    backend = new Backend({ port: await freePort(), name: 'solgrid-e2e' });
    await backend.start();
    assert.ok(await backend.hasSocketIo(), 'build/solgrid does not answer the Socket.IO handshake at /socket.io/');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await backend?.dispose();
  });

  async function openPage(path = '/', viewport = DESKTOP) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${backend.url}/`);
    await page.waitForURL('**/trade');
    if (path !== '/' && path !== '/trade') await navigate(page, path.slice(1));
    await waitForMode(page, 'real');
    return { context, page };
  }

  const waitText = (page, testId, text, timeout) =>
    page.waitForFunction(
      ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() === want,
      [testId, text],
      { timeout },
    );

  test('the page shows real mode', async () => {
    const { context, page } = await openPage('/trade');
    assert.equal(await hookText(page, 'connection-mode'), REAL_LABEL);
    await navigate(page, 'settings');
    assert.equal(await hookText(page, 'connection-mode-detail'), REAL_LABEL);
    await context.close();
  });

  test('one POST /api/data/solar updates Trade and EnvSetting within 1 s', async () => {
    const trade = await openPage('/trade');
    const settings = await openPage('/settings');
    // A different value first, so the assertion below cannot be satisfied by older data.
    await backend.post('/api/data/solar', { soc: 40, solar_w: 10, lux: 1000 });
    await waitText(trade.page, 'energy-balance', '4000', 3000);

    await backend.post('/api/data/solar', { soc: 85, solar_w: 120, lux: 35000 });
    await Promise.all([
      waitText(trade.page, 'energy-balance', '8500', 1000),
      waitText(settings.page, 'battery-percent', '85', 1000),
    ]);
    await screenshot(trade.page, 'trade-real-desktop');
    await screenshot(settings.page, 'settings-real-desktop');
    await trade.context.close();
    await settings.context.close();
  });

  test('a relay switched in a second browser context changes the first', async () => {
    const first = await openPage('/trade');
    const second = await openPage('/trade');
    for (const page of [first.page, second.page]) {
      await page.waitForSelector('[data-testid="relay-switch-B"]:not([disabled])');
    }
    for (let i = 0; i < 2; i++) {
      const before = await first.page.getAttribute('[data-testid="household-B"]', 'data-state');
      const want = before === 'on' ? 'off' : 'on';
      await second.page.click('[data-testid="relay-switch-B"]');
      await first.page.waitForSelector(`[data-testid="household-B"][data-state="${want}"]`, { timeout: 2000 });
      await second.page.waitForSelector(`[data-testid="household-B"][data-state="${want}"]`, { timeout: 2000 });
      await second.page.waitForSelector('[data-testid="relay-switch-B"]:not([disabled])');
    }
    await first.context.close();
    await second.context.close();
  });

  // Clicks the check button and returns what the page shows beside what the
  // backend answers to the same request.
  async function checkArduino(target) {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${target.url}/settings`);
    await waitForMode(page, 'real');
    await page.click('[data-testid="arduino-check"]');
    await page.waitForSelector('[data-testid="arduino-check-result"]:not([data-status="idle"]):not([data-status="pending"])', { timeout: 15000 });
    const shown = {
      status: await page.getAttribute('[data-testid="arduino-check-result"]', 'data-status'),
      text: await hookText(page, 'arduino-check-result'),
    };
    const answer = await (await fetch(`${target.url}/api/arduino/check`)).json();
    return { context, page, shown, answer };
  }

  test('the Arduino check shows the backend answer: not configured', async () => {
    const { context, page, shown, answer } = await checkArduino(backend);
    assert.equal(answer.configured, false);
    assert.equal(shown.status, 'unconfigured');
    assert.ok(shown.text.includes(answer.message), `page shows "${shown.text}", backend said "${answer.message}"`);
    assert.match(shown.text, /ARDUINO_URL/);
    await screenshot(page, 'settings-real-arduino-unconfigured');
    await context.close();
  });

  test('the Arduino check shows the backend answer: a reachable device', async () => {
    // A second backend whose ARDUINO_URL is a running `solgrid simulate`.
    const devicePort = await freePort();
    const withDevice = new Backend({
      port: await freePort(), name: 'solgrid-e2e-device', env: { ARDUINO_URL: `http://127.0.0.1:${devicePort}` },
    });
    await withDevice.start();
    const sim = spawn(SOLGRID_BIN, ['simulate', '--server', withDevice.url, '--host', '127.0.0.1', '--port', String(devicePort), '--interval', '1'], { stdio: 'ignore' });
    try {
      // The device answers /status once its server is up.
      for (let i = 0; i < 100; i++) {
        try { if ((await fetch(`http://127.0.0.1:${devicePort}/status`)).ok) break; } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      const { context, page, shown, answer } = await checkArduino(withDevice);
      assert.equal(answer.reachable, true, JSON.stringify(answer));
      assert.equal(shown.status, 'ok');
      assert.ok(shown.text.includes(answer.message), `page shows "${shown.text}", backend said "${answer.message}"`);
      // The device's own report is shown as the backend returned it.
      const deviceJson = JSON.parse(await page.$eval('.device-json', (el) => el.textContent));
      assert.deepEqual(Object.keys(deviceJson).sort(), Object.keys(answer.device).sort());
      await screenshot(page, 'settings-real-arduino-check');
      await context.close();
    } finally {
      sim.kill('SIGTERM');
      await withDevice.dispose();
    }
  });

  test('History draws stored and live points', async () => {
    for (const soc of [60, 61, 62]) await backend.post('/api/data/solar', { soc, solar_w: 100 + soc, lux: 20000 + soc });
    const { context, page } = await openPage('/history');
    await page.waitForSelector('[data-testid="history-status"]:not([data-status="loading"])', { timeout: 15000 });
    const status = await page.getAttribute('[data-testid="history-status"]', 'data-status');
    assert.equal(status, 'ok', 'the history endpoint answered');
    const count = () => page.$eval('[data-testid="chart-soc"]', (el) => Number(el.dataset.points));
    const stored = await count();
    assert.ok(stored >= 3, `expected ≥ 3 stored points, got ${stored}`);

    await backend.post('/api/data/solar', { soc: 63, solar_w: 163, lux: 20063 });
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="chart-soc"]').dataset.points) > n, stored, { timeout: 2000 });
    await screenshot(page, 'history-real-desktop');
    await context.close();
  });

  test('every page at 375 px: no horizontal overflow (screenshots)', async () => {
    const { context, page } = await openPage('/trade', MOBILE);
    for (const name of ['trade', 'settings', 'history']) {
      if (name !== 'trade') await navigate(page, name);
      await waitForMode(page, 'real');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name} overflows 375 px`);
      await screenshot(page, `${name}-real-375`);
    }
    await context.close();
  });

  test('deep links are served by the backend (SPA fallback)', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    for (const path of ['/settings', '/history', '/trade']) {
      const res = await page.goto(`${backend.url}${path}`);
      assert.equal(res.status(), 200, `GET ${path}`);
      await waitForMode(page, 'real');
    }
    await context.close();
  });

  test('WebSocket-only transport connects too', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${backend.url}/?transports=websocket`);
    await waitForMode(page, 'real');
    await backend.post('/api/data/solar', { soc: 33, solar_w: 1, lux: 1 });
    await waitText(page, 'energy-balance', '3300', 1000);
    await context.close();
  });

  test('stopping the server turns the page virtual; restarting turns it real without a reload', async () => {
    const { context, page } = await openPage('/trade');
    await page.evaluate(() => { window.__sameDocument = true; });

    await backend.stop();
    await waitForMode(page, 'virtual', 10000);
    assert.match(await hookText(page, 'connection-mode'), /가상 모드/);
    await screenshot(page, 'trade-after-backend-stop');

    await backend.start();
    await waitForMode(page, 'real', 20000);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
    await backend.post('/api/data/solar', { soc: 77, solar_w: 50, lux: 9000 });
    await waitText(page, 'energy-balance', '7700', 1000);
    await context.close();
  });
});
