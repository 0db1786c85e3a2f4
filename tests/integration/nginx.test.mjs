// Debian's real nginx in front of solgrid (issue 14 item 3), configured FROM
// deploy/nginx.conf: only the ports, the certificate paths, the upstream
// address and the Socket.IO read timeout are substituted, and the test's own
// main file (pid, logs, temp paths in a temporary prefix) includes it. A
// self-signed certificate is made at test time. solgrid runs with
// TRUSTED_PROXIES=127.0.0.1/32 and short heartbeats. Through the proxy: the
// real socket.io-client over wss:// (websocket only), polling only and the
// default upgrade, each receiving new_sun_data after a POST through nginx; the
// dashboard over HTTP/1.1 and HTTP/2; a session outliving pingInterval +
// pingTimeout; login setting the Secure cookie; the forwarded client address
// in the audit and access logs, in DEVICE_TRUSTED_NETWORKS checks and in the
// login rate limit. A direct peer that is not a trusted proxy (a client
// bound to 127.0.0.2) spoofing X-Forwarded-For is ignored, directly and
// through nginx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { repoRoot, solgridBin, startServer } from './lib/server.mjs';
import { once, closeAll, waitUntil } from './lib/sio.mjs';
import { makeCertificate, freePort, startNginx } from './lib/nginx.mjs';

const ADMIN_PASSWORD = 'admin-secret-123';
// Short heartbeats, so "longer than pingInterval + pingTimeout" is seconds.
const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 500;
// deploy/nginx.conf's rule: the Socket.IO read timeout exceeds
// pingInterval + pingTimeout (there by 30 s; here by 500 ms).
const READ_TIMEOUT_MS = PING_INTERVAL_MS + PING_TIMEOUT_MS + 500;
const LOGIN_BURST = 8;
const dist = path.join(repoRoot, 'frontend/dist');
const site = readFileSync(path.join(repoRoot, 'deploy/nginx.conf'), 'utf8');

let dir, ca, server, nginx, base;
const sockets = [];

// ---- set-up -------------------------------------------------------------

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'solgrid-nginx-'));
  const { cert, key } = makeCertificate(dir);
  ca = readFileSync(cert);
  server = await startServer({
    env: {
      AUTH: 'on', ADMIN_PASSWORD, MARKET_ENFORCE: 'off',
      TRUSTED_PROXIES: '127.0.0.1/32',
      PING_INTERVAL_MS: String(PING_INTERVAL_MS), PING_TIMEOUT_MS: String(PING_TIMEOUT_MS),
      LOGIN_BURST: String(LOGIN_BURST), LOGIN_RATE: '0.001', LOGIN_MAX_FAILURES: '1000',
      LOG_LEVEL: 'debug',  // the access log
      FRONTEND_DIR: dist,
    },
  });
  // A port taken between freePort() and nginx's bind makes nginx fail: try again.
  for (let attempt = 1; ; attempt++) {
    const ports = { httpPort: await freePort(), httpsPort: await freePort(), upstreamPort: server.port, cert, key };
    try {
      nginx = await startNginx(dir, ports, READ_TIMEOUT_MS);
      base = `https://127.0.0.1:${ports.httpsPort}`;
      ports.http = `http://127.0.0.1:${ports.httpPort}`;
      nginx.ports = ports;
      break;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
});

after(async () => {
  closeAll(sockets);
  await nginx?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers -------------------------------------------------------------

// One HTTP/1.1 exchange: through nginx (https, the test certificate trusted)
// by default, or `direct` to solgrid; `from` binds the client to that local
// address (127.0.0.2: a peer that is no trusted proxy).
function call(method, urlPath, { body, cookie, headers = {}, direct = false, from } = {}) {
  const h = { ...headers };
  const target = direct ? server.url : base;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (cookie) h.Cookie = cookie;
  if (method !== 'GET' && !h.Origin) h.Origin = target;
  const lib = direct ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(target + urlPath, {
      method, headers: h, agent: false, ...(direct ? {} : { ca }), ...(from ? { localAddress: from } : {}),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const loginBody = (username, password = 'wrong-password-1') => ({ username, password });

async function adminCookie() {
  const r = await call('POST', '/api/auth/login', { body: loginBody('admin', ADMIN_PASSWORD) });
  assert.equal(r.status, 200, r.text);
  return r.headers['set-cookie'][0].split(';')[0];
}

let admin;
async function auditEntries() {
  admin ??= await adminCookie();
  const r = await call('GET', '/api/audit', { cookie: admin });
  assert.equal(r.status, 200, r.text);
  return r.json.entries;
}

async function failedLoginAddress(username, opts) {
  const r = await call('POST', '/api/auth/login', { body: loginBody(username), ...opts });
  assert.equal(r.status, 401, r.text);
  const entry = (await auditEntries()).find((e) => e.action === 'auth.login' && e.target === username);
  assert.ok(entry, `an audit entry for ${username}`);
  return entry.address;
}

let soc = 10;
async function postReading(opts = {}) {
  const r = await call('POST', '/api/data/solar', { body: { soc: soc++, solar_w: 321.5, lux: 42000 }, ...opts });
  return r;
}

async function connected(opts) {
  admin ??= await adminCookie();
  const socket = io(base, {
    forceNew: true, reconnection: false, ca, extraHeaders: { Cookie: admin }, ...opts,
  });
  sockets.push(socket);
  await once(socket, 'connection_response');
  return socket;
}

async function receivesSunData(socket) {
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  assert.equal(posted.status, 201, posted.text);
  const [data] = await got;
  assert.equal(data.soc, posted.json.data.soc);
}

// ---- the deployed file itself ----------------------------------------------

test('deploy/nginx.conf: the Socket.IO read timeout exceeds the default pingInterval + pingTimeout', () => {
  const env = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
  const setting = (name) => Number(env.match(new RegExp(`^${name}=(\\d+)`, 'm'))[1]);
  const readTimeout = Number(site.match(/proxy_read_timeout (\d+)s;/)[1]) * 1000;
  assert.ok(readTimeout > setting('PING_INTERVAL_MS') + setting('PING_TIMEOUT_MS'), `${readTimeout} ms`);
  // client_max_body_size is the default MAX_BODY_BYTES (1m = 1 MiB in nginx).
  assert.match(site, /client_max_body_size 1m;/);
  assert.equal(setting('MAX_BODY_BYTES'), 1024 * 1024);
});

test('make install puts the nginx site in share/solgrid/nginx.conf', () => {
  const prefix = mkdtempSync(path.join(tmpdir(), 'solgrid-nginx-prefix-'));
  try {
    execFileSync('cmake', ['--install', path.dirname(solgridBin), '--prefix', prefix], { stdio: 'pipe' });
    assert.equal(readFileSync(path.join(prefix, 'share/solgrid/nginx.conf'), 'utf8'), site);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
});

test('a bad TRUSTED_PROXIES entry stops start-up with a message naming it', async () => {
  const bad = spawn(solgridBin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, DB_PATH: path.join(dir, 'bad.db'), TRUSTED_PROXIES: '127.0.0.1/32, nginx' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  bad.stdout.on('data', (d) => { output += d; });
  bad.stderr.on('data', (d) => { output += d; });
  let code;
  try {
    [code] = await once(bad, 'exit', { what: 'solgrid to refuse to start' });
  } finally {
    if (bad.exitCode === null && bad.signalCode === null) process.kill(bad.pid, 'SIGKILL');
  }
  assert.notEqual(code, 0);
  assert.match(output, /TRUSTED_PROXIES: .*\(got 'nginx'\)/);
});

// ---- through the proxy ------------------------------------------------------

test('plain HTTP is redirected to https', async () => {
  const r = await new Promise((resolve, reject) => {
    http.get(`${nginx.ports.http}/api/data/latest?x=1`, { agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, location: res.headers.location });
    }).on('error', reject);
  });
  assert.equal(r.status, 301);
  assert.match(r.location, /^https:\/\/127\.0\.0\.1\/api\/data\/latest\?x=1$/);
});

test('the dashboard is served through the proxy (HTTP/1.1 and HTTP/2)', async () => {
  assert.ok(existsSync(path.join(dist, 'index.html')), 'frontend/dist is built (make frontend)');
  const index = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const r = await call('GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /text\/html/);
  assert.equal(r.text, index);

  const session = http2.connect(base, { ca });
  try {
    const h2 = await new Promise((resolve, reject) => {
      const req = session.request({ ':path': '/' });
      let text = '';
      let status;
      req.setEncoding('utf8');
      req.on('response', (headers) => { status = headers[':status']; });
      req.on('data', (d) => { text += d; });
      req.on('end', () => resolve({ status, text }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(h2.status, 200);
    assert.equal(h2.text, index);
    assert.equal(session.alpnProtocol, 'h2');
  } finally {
    session.close();
  }
});

test('a state-changing request with the session cookie passes the same-origin check through the proxy', async () => {
  admin ??= await adminCookie();
  // The browser's Origin is https://127.0.0.1:<nginx port>; nginx passes the Host it used.
  const r = await call('POST', '/api/relay/update', { body: { A: true }, cookie: admin });
  assert.equal(r.status, 200, r.text);
  const evil = await call('POST', '/api/relay/update', { body: { A: true }, cookie: admin,
    headers: { Origin: 'https://evil.example' } });
  assert.equal(evil.status, 403, evil.text);
});

test('socket.io-client over wss:// (websocket only) receives new_sun_data', async () => {
  const socket = await connected({ transports: ['websocket'] });
  assert.equal(socket.io.engine.transport.name, 'websocket');
  await receivesSunData(socket);
});

test('socket.io-client polling only through the proxy receives new_sun_data', async () => {
  const socket = await connected({ transports: ['polling'] });
  assert.equal(socket.io.engine.transport.name, 'polling');
  await receivesSunData(socket);
});

test('socket.io-client default: polling, then the upgrade to wss:// through the proxy', async () => {
  const socket = await connected({});
  await waitUntil(() => socket.io.engine.transport.name === 'websocket', { what: 'the upgrade' });
  await receivesSunData(socket);
});

test('a session outlives pingInterval + pingTimeout through the proxy (each transport)', async () => {
  for (const transports of [['websocket'], ['polling']]) {
    const socket = await connected({ transports });
    const id = socket.id;
    let dropped = null;
    socket.on('disconnect', (reason) => { dropped = reason; });
    // Three heartbeats' worth, and longer than nginx's read timeout: a
    // proxy that cut quiet connections would have dropped the session.
    await new Promise((r) => setTimeout(r, 3 * (PING_INTERVAL_MS + PING_TIMEOUT_MS)));
    assert.equal(dropped, null, `${transports}: disconnected (${dropped})`);
    assert.equal(socket.id, id);
    assert.equal(socket.io.engine.transport.name, transports[0]);
    await receivesSunData(socket);
    socket.disconnect();
  }
});

test('login through the proxy sets the session cookie with Secure; directly over HTTP without', async () => {
  const proxied = await call('POST', '/api/auth/login', { body: loginBody('admin', ADMIN_PASSWORD) });
  assert.equal(proxied.status, 200, proxied.text);
  assert.match(proxied.headers['set-cookie'][0], /; Secure/);
  const direct = await call('POST', '/api/auth/login', { body: loginBody('admin', ADMIN_PASSWORD), direct: true });
  assert.equal(direct.status, 200, direct.text);
  assert.doesNotMatch(direct.headers['set-cookie'][0], /Secure/);
  // A peer that is no trusted proxy cannot claim https.
  const spoofed = await call('POST', '/api/auth/login', { body: loginBody('admin', ADMIN_PASSWORD), direct: true,
    from: '127.0.0.2', headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(spoofed.status, 200, spoofed.text);
  assert.doesNotMatch(spoofed.headers['set-cookie'][0], /Secure/);
  // Logging out through the proxy clears it with the same attributes.
  const cookie = proxied.headers['set-cookie'][0].split(';')[0];
  const out = await call('POST', '/api/auth/logout', { cookie });
  assert.equal(out.status, 200, out.text);
  assert.match(out.headers['set-cookie'][0], /Max-Age=0; Secure/);
});

test('the audit and access logs record the forwarded client, and only from a trusted proxy', async () => {
  // Through nginx, the client's own X-Forwarded-For (the test runs on 127.0.0.1, a trusted proxy itself).
  assert.equal(await failedLoginAddress('fwd-a', { headers: { 'X-Forwarded-For': '198.51.100.30' } }), '198.51.100.30');
  // Through nginx with nothing forwarded: nginx's $remote_addr.
  assert.equal(await failedLoginAddress('fwd-b'), '127.0.0.1');
  // An untrusted client of nginx claiming another address: nginx appends the one it saw.
  assert.equal(await failedLoginAddress('fwd-c', { from: '127.0.0.2', headers: { 'X-Forwarded-For': '198.51.100.31' } }),
    '127.0.0.2');
  // Straight to solgrid from a peer that is no trusted proxy: the header is ignored.
  assert.equal(await failedLoginAddress('fwd-d', { direct: true, from: '127.0.0.2',
    headers: { 'X-Forwarded-For': '198.51.100.32' } }), '127.0.0.2');
  // Straight to solgrid from a trusted peer: believed.
  assert.equal(await failedLoginAddress('fwd-e', { direct: true, headers: { 'X-Forwarded-For': '198.51.100.33' } }),
    '198.51.100.33');
  // Junk a trusted hop cannot have written: the proxy is the client, and a warning says why.
  assert.equal(await failedLoginAddress('fwd-f', { headers: { 'X-Forwarded-For': 'unknown' } }), '127.0.0.1');

  const log = server.output();
  assert.match(log, /POST \/api\/auth\/login 401 [\d.]+ms client 198\.51\.100\.30 via 127\.0\.0\.1/);
  assert.match(log, /POST \/api\/auth\/login 401 [\d.]+ms client 127\.0\.0\.2 via 127\.0\.0\.1/);
  assert.match(log, /POST \/api\/auth\/login 401 [\d.]+ms client 127\.0\.0\.2\n/);
  assert.doesNotMatch(log, /client 198\.51\.100\.3[12]/);
  assert.match(log, /ignoring X-Forwarded-For from trusted proxy 127\.0\.0\.1/);
});

test('DEVICE_TRUSTED_NETWORKS (loopback) judges the forwarded client, not nginx', async () => {
  // The device on this machine, through nginx: trusted, no token needed.
  const local = await postReading();
  assert.equal(local.status, 201, local.text);
  // Anyone else through nginx, whatever they claim, is not the loopback device.
  const outsider = await postReading({ from: '127.0.0.2', headers: { 'X-Forwarded-For': '127.0.0.1' } });
  assert.equal(outsider.status, 401, outsider.text);
  assert.match(outsider.json.error, /device token/);
  const named = await postReading({ headers: { 'X-Forwarded-For': '198.51.100.50' } });
  assert.equal(named.status, 401, named.text);
});

test('login rate limits are kept per forwarded client', async () => {
  const attempt = (name, opts) => call('POST', '/api/auth/login', { body: loginBody(name), ...opts });
  const a = { headers: { 'X-Forwarded-For': '198.51.100.21' } };
  for (let i = 0; i < LOGIN_BURST; i++) assert.equal((await attempt(`rate-a${i}`, a)).status, 401);
  const limited = await attempt('rate-a-last', a);
  assert.equal(limited.status, 429, limited.text);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  // Another client behind the same proxy has a bucket of its own.
  const b = await attempt('rate-b', { headers: { 'X-Forwarded-For': '198.51.100.22' } });
  assert.equal(b.status, 401, b.text);
  // A peer that is no trusted proxy cannot get fresh buckets by naming new addresses.
  let status;
  for (let i = 0; i <= LOGIN_BURST && status !== 429; i++)
    ({ status } = await attempt(`rate-c${i}`, { direct: true, from: '127.0.0.2',
      headers: { 'X-Forwarded-For': `198.51.100.${100 + i}` } }));
  assert.equal(status, 429);
});
