// The dashboard's static files against the real binary (issue 11 A1, A3):
// nothing outside FRONTEND_DIR is ever served, however the path is spelled;
// large files stream intact; HEAD never sends a body on any path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { exchange, request, parseResponses } from './lib/raw-http.mjs';

let server;
let site;
const index = '<!doctype html><title>solgrid</title><div id="root"></div>\n';
const app = 'console.log("dashboard");\n';
const big = randomBytes(3 * 1024 * 1024 + 17);  // larger than MAX_BODY_BYTES (1 MB)

before(async () => {
  site = mkdtempSync(path.join(tmpdir(), 'solgrid-site-'));
  const dist = path.join(site, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), index);
  writeFileSync(path.join(dist, 'assets', 'app.js'), app);
  writeFileSync(path.join(dist, 'assets', 'big.bin'), big);
  writeFileSync(path.join(site, 'secret.txt'), 'TOP SECRET outside the dashboard');
  symlinkSync('/etc/passwd', path.join(dist, 'assets', 'passwd.js'));
  symlinkSync('../../secret.txt', path.join(dist, 'assets', 'secret.js'));
  symlinkSync('app.js', path.join(dist, 'assets', 'alias.js'));
  server = await startServer({ env: { FRONTEND_DIR: dist, DB_PASSWORD: 'hunter2-env-leak' } });
});
after(async () => {
  await server?.stop();
  if (site) rmSync(site, { recursive: true, force: true });
});

async function rawGet(target) {
  const { data } = await exchange(server.port, request('GET', target, { Connection: 'close' }));
  const { responses } = parseResponses(data, ['GET']);
  assert.equal(responses.length, 1, `one answer to ${target}: ${data.toString('latin1').slice(0, 200)}`);
  return responses[0];
}

test('no path reaches a file outside the dashboard folder', async () => {
  const db = path.join(server.dir, 'solgrid.db');
  const enc = (p) => p.split('/').map(encodeURIComponent).join('%2f');
  const targets = [
    '//etc/passwd', '/%2fetc%2fpasswd', '/%2Fetc%2Fpasswd', '//proc/self/environ', '/%2fproc%2fself%2fenviron',
    '/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/assets/..%2f..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/passwd.js',
    '/assets/secret.js', `/${db}`, `/${enc(db)}`, `/${enc(db)}-wal`, '/%00/etc/passwd', '/index.html%00.js',
    '/assets\\..\\..\\secret.txt', '/.%2e/.%2e/etc/passwd',
  ];
  for (const target of targets) {
    const r = await rawGet(target);
    const text = r.body.toString('latin1');
    assert.doesNotMatch(text, /root:|hunter2|TOP SECRET|SQLite format/, target);
    assert.ok(r.status === 404 || r.status === 400, `${target} answered ${r.status}`);
    assert.equal(r.headers['content-type'], 'application/json', target);
    assert.equal(JSON.parse(text).success, false, target);
  }
});

test('files inside are served, client routes get index.html, missing assets 404', async () => {
  const js = await fetch(`${server.url}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await js.text(), app);
  const alias = await fetch(`${server.url}/assets/alias.js`);  // a symlink that stays inside
  assert.equal(alias.status, 200);
  assert.equal(await alias.text(), app);
  for (const route of ['/', '/history', '/trade/']) {
    const r = await fetch(`${server.url}${route}`);
    assert.equal(r.status, 200, route);
    assert.equal(r.headers.get('cache-control'), 'no-cache', route);
    assert.equal(await r.text(), index, route);
  }
  const missing = await fetch(`${server.url}/assets/nope.js`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).success, false);
});

test('a file larger than the body limit streams intact', async () => {
  const r = await fetch(`${server.url}/assets/big.bin`);
  assert.equal(r.status, 200);
  assert.equal(Number(r.headers.get('content-length')), big.length);
  const got = Buffer.from(await r.arrayBuffer());
  assert.equal(got.length, big.length);
  assert.ok(got.equals(big), 'bytes identical');
});

// issue 11 A3: HEAD sent a body on static paths, which the next response on
// the keep-alive connection then started with.
test('HEAD answers carry the GET headers and no body, on every kind of path', async () => {
  const healthz = request('GET', '/healthz', { Connection: 'close' });
  const cases = [
    ['/history', 'SPA fallback', Buffer.byteLength(index)],
    ['/assets/app.js', 'static file', Buffer.byteLength(app)],
    ['/assets/big.bin', 'large static file', big.length],
    ['/api/relay/status', 'API route', null],
    ['/healthz', 'health', null],
    ['/api/nope', 'API 404', null],
    ['/socket.io/?EIO=4&transport=polling', 'Engine.IO mount', null],
  ];
  for (const [target, what, length] of cases) {
    const { data } = await exchange(server.port, request('HEAD', target) + healthz);
    const { responses, rest } = parseResponses(data, ['HEAD', 'GET']);
    assert.equal(responses.length, 2, `${what}: two answers in ${JSON.stringify(data.toString('latin1').slice(0, 300))}`);
    const [head, get] = responses;
    assert.ok(head.headers['content-length'] !== undefined, `${what}: HEAD has Content-Length`);
    if (length !== null) assert.equal(Number(head.headers['content-length']), length, what);
    assert.equal(get.status, 200, what);
    assert.equal(JSON.parse(get.body.toString()).status, 'ok', what);
    assert.equal(rest.length, 0, `${what}: nothing after the second answer`);
  }
});

test('the probe from the issue: HEAD /history then GET /healthz on one connection', async () => {
  const bytes = 'HEAD /history HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const { data } = await exchange(server.port, bytes);
  const { responses, rest } = parseResponses(data, ['HEAD', 'GET']);
  assert.equal(responses.length, 2);
  assert.equal(responses[0].status, 200);
  assert.equal(responses[0].headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(Number(responses[0].headers['content-length']), Buffer.byteLength(index));
  assert.equal(responses[1].status, 200);
  assert.equal(JSON.parse(responses[1].body.toString()).status, 'ok');
  assert.equal(rest.length, 0);
  // the database file itself is where it was, untouched by any of this
  assert.ok(readFileSync(path.join(server.dir, 'solgrid.db')).length > 0);
});
