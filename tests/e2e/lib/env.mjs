// Shared set-up for the browser tests: repository paths, Chromium, screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = process.env.FRONTEND_DIR || path.join(REPO, 'frontend/dist');
export const SOLGRID_BIN = process.env.SOLGRID_BIN || path.join(REPO, 'build/solgrid');
export const ARTIFACTS = path.join(REPO, 'build/e2e-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 860 };
export const MOBILE = { width: 375, height: 812 };

// Why these tests cannot run here, or null. With SOLGRID_E2E_REQUIRE=1 a missing
// prerequisite is a failure rather than a skip (for CI once everything exists).
export function missingPrerequisite({ backend = false } = {}) {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  if (!existsSync(path.join(DIST, 'index.html'))) return `no built frontend at ${DIST} (npm ci --prefix frontend && npm run build --prefix frontend)`;
  if (backend && !existsSync(SOLGRID_BIN)) return `no backend binary at ${SOLGRID_BIN}`;
  return null;
}

export function skipOrThrow(reason) {
  if (process.env.SOLGRID_E2E_REQUIRE === '1') throw new Error(`e2e prerequisite missing: ${reason}`);
  return reason;
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Wait until the page's connection badge reports `mode` ('real' | 'virtual').
export async function waitForMode(page, mode, timeout = 10000) {
  await page.waitForSelector(`[data-testid="connection-mode"][data-mode="${mode}"]:not([data-connecting])`, { timeout });
}

// Text of a test hook, trimmed.
export async function hookText(page, testId) {
  return (await page.locator(`[data-testid="${testId}"]`).first().textContent())?.trim();
}

// Navigate inside the app with its own navigation (works without server-side SPA fallback).
export async function navigate(page, name) {
  await page.click(`[data-testid="nav-${name}"]`);
  await page.waitForURL(`**/${name}`);
}
