// Virtual mode in a real browser, no backend needed: the built app served by a static
// server whose /socket.io/ and /api/* answer 404, so the socket can never connect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStaticServer } from './lib/static-server.mjs';
import {
  DESKTOP, DIST, MOBILE, hookText, launchBrowser, missingPrerequisite, navigate, screenshot, skipOrThrow, waitForMode,
} from './lib/env.mjs';

const missing = missingPrerequisite();
const skip = missing ? skipOrThrow(missing) : false;

describe('virtual mode (no backend)', { skip }, () => {
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

  test('every page runs on simulated data, clearly labelled; screenshots', async () => {
    for (const [label, viewport] of [['desktop', DESKTOP], ['375', MOBILE]]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForURL('**/trade');
      await waitForMode(page, 'virtual');
      assert.match(await hookText(page, 'connection-mode'), /가상 모드/);
      await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid="energy-balance"]')?.textContent ?? ''));
      const noOverflow = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(noOverflow, `page wider than the ${label} viewport`);
      await screenshot(page, `trade-virtual-${label}`);

      await navigate(page, 'settings');
      await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-testid="battery-percent"]')?.textContent ?? ''));
      await page.click('[data-testid="arduino-check"]');
      await page.waitForSelector('[data-testid="arduino-check-result"][data-status="virtual"]');
      await screenshot(page, `settings-virtual-${label}`);

      await navigate(page, 'history');
      await page.waitForSelector('[data-testid="history-status"][data-status="virtual"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-soc"]')?.dataset.points) >= 2, null, { timeout: 8000 });
      await screenshot(page, `history-virtual-${label}`);
      await context.close();
    }
  });

  test('relay switches stay in localStorage and are never sent to a backend', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${server.url}/trade`);
    await waitForMode(page, 'virtual');
    const card = page.locator('[data-testid="household-C"]');
    const before = await card.getAttribute('data-state');
    await page.click('[data-testid="relay-switch-C"]');
    const flipped = before === 'on' ? 'off' : 'on';
    await page.waitForSelector(`[data-testid="household-C"][data-state="${flipped}"]`, { timeout: 1000 });
    await screenshot(page, 'trade-virtual-relay-switched');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('solgrid.virtual.relays')));
    assert.equal(stored.C, flipped === 'on');

    await page.reload();
    await waitForMode(page, 'virtual');
    assert.equal(await page.locator('[data-testid="household-C"]').getAttribute('data-state'), flipped);
    assert.ok(!server.requests.some((r) => r.path.startsWith('/api/relay')), 'virtual mode sent a relay request');
    await context.close();
  });

  test('language switch to English persists across reloads', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${server.url}/settings`);
    await waitForMode(page, 'virtual');
    await page.click('[data-testid="lang-switch"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await hookText(page, 'connection-mode'), /Virtual mode/);
    await page.reload();
    await waitForMode(page, 'virtual');
    assert.match(await hookText(page, 'arduino-check'), /Check Arduino connection/);
    await screenshot(page, 'settings-virtual-en');
    await context.close();
  });
});
