// The dashboard in real Chromium through Debian's real nginx (issue 14's
// "a TLS site whose dashboard works through the proxy"): deploy/nginx.conf
// rendered for ephemeral ports (tests/integration/lib/nginx.mjs) with a
// certificate made at test time, solgrid behind it with AUTH on and
// TRUSTED_PROXIES=127.0.0.1/32. Over https: log in (the session cookie is
// Secure), the live badge turns real over a WebSocket that nginx upgraded, a
// reading posted through nginx shows up, and a relay switched in the page is
// switched on the server.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { makeCertificate, freePort, startNginx } from '../integration/lib/nginx.mjs';
import { Backend } from './lib/backend.mjs';
import { CHROMIUM, CHROMIUM_ARGS, DESKTOP, missingPrerequisite, screenshot, skipOrThrow, waitForMode } from './lib/env.mjs';
import { pageFetch } from './lib/page-fetch.mjs';

const missing = missingPrerequisite({ backend: true });
const skip = missing ? skipOrThrow(missing) : false;
const ADMIN_PASSWORD = 'e2e-nginx-admin-9Wp!';

describe('the dashboard through nginx (TLS termination, WebSocket upgrade)', { skip }, () => {
  let dir;
  let ca;
  let backend;
  let nginx;
  let base;
  let browser;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'solgrid-e2e-nginx-'));
    const { cert, key } = makeCertificate(dir);
    ca = readFileSync(cert);
    backend = new Backend({
      port: await freePort(),
      name: 'solgrid-e2e-nginx',
      env: { AUTH: 'on', ADMIN_PASSWORD, MARKET_ENFORCE: 'off', TRUSTED_PROXIES: '127.0.0.1/32', LOG_LEVEL: 'debug' },
    });
    await backend.start();
    for (let attempt = 1; ; attempt++) {
      const ports = { httpPort: await freePort(), httpsPort: await freePort(), upstreamPort: backend.port, cert, key };
      try {
        nginx = await startNginx(dir, ports, 75000);  // deploy/nginx.conf's own read timeout
        base = `https://127.0.0.1:${ports.httpsPort}`;
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    // The certificate is the test's own: Chromium is told to accept it.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'], headless: true });
  });

  after(async () => {
    await browser?.close();
    await nginx?.stop();
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // A sensor post through nginx (the device is 127.0.0.1, forwarded by a
  // trusted proxy: inside DEVICE_TRUSTED_NETWORKS' default).
  function postReading(body) {
    return new Promise((resolve, reject) => {
      const req = https.request(`${base}/api/data/solar`, {
        method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json' },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  test('log in over https, live data over the upgraded WebSocket, a relay switched from the page', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/trade`);
      await page.waitForSelector('[data-testid="login-page"]');
      await page.fill('[data-testid="login-username"]', 'admin');
      await page.fill('[data-testid="login-password"]', ADMIN_PASSWORD);
      await page.click('[data-testid="login-submit"]');
      await page.waitForSelector('[data-testid="user-name"]:text-is("admin")', { timeout: 10000 });

      // nginx said https (X-Forwarded-Proto from a trusted proxy): the cookie is Secure.
      const cookie = (await context.cookies(base)).find((c) => c.name === 'solgrid_session');
      assert.ok(cookie, 'the session cookie is set');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.httpOnly, true);

      await waitForMode(page, 'real', 15000);
      assert.equal(await postReading({ soc: 47, solar_w: 12, lux: 3400 }), 201);
      await page.waitForFunction(() => document.querySelector('[data-testid="energy-balance"]')?.textContent.includes('4700'), null, { timeout: 5000 });

      // Switch B from the page; the server (asked through nginx) agrees.
      await page.waitForSelector('[data-testid="relay-switch-B"]:not([disabled])');
      const before = await page.getAttribute('[data-testid="household-B"]', 'data-state');
      const want = before === 'on' ? 'off' : 'on';
      await page.click('[data-testid="relay-switch-B"]');
      await page.waitForSelector(`[data-testid="household-B"][data-state="${want}"]`, { timeout: 5000 });
      const status = await pageFetch(page, '/api/relay/status');
      assert.equal(status.status, 200);
      assert.equal(status.body.B, want === 'on');
      await screenshot(page, 'trade-through-nginx');
    } finally {
      await context.close();
    }
    // The page's Socket.IO went through nginx's WebSocket upgrade: 101 in
    // its access log (written when that connection closes, with the page).
    const upgraded = /"GET \/socket\.io\/\?EIO=4&transport=websocket[^"]*" 101 /;
    const log = () => readFileSync(path.join(dir, 'access.log'), 'utf8');
    for (let i = 0; i < 100 && !upgraded.test(log()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(log(), upgraded);
  });
});
