// HTTPS and WSS on the one port (TLS_CERT_FILE + TLS_KEY_FILE), against the
// real binary with a self-signed certificate made at test time by the
// openssl CLI: REST over node's https with the test CA, the real
// socket.io-client over wss://, polling and the default upgrade, a plain
// http:// request to the TLS port, the client's real address reaching the
// handlers through the TLS bridge, and start-up errors that name the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { io } from 'socket.io-client';
import { startServer } from './lib/server.mjs';
import { once, closeAll } from './lib/sio.mjs';

let dir, certFile, keyFile, ca, server, base;
const sockets = [];

function makeCertificate(name) {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'pipe' });
  return { cert, key };
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'solgrid-tls-'));
  ({ cert: certFile, key: keyFile } = makeCertificate('server'));
  ca = readFileSync(certFile);
  server = await startServer({ env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile } });
  base = `https://127.0.0.1:${server.port}`;
});
after(async () => {
  closeAll(sockets);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// One request over HTTPS trusting only the test certificate.
function request(method, urlPath, { body, options = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${base}${urlPath}`, {
      method, ca, agent: false,
      headers: body === undefined ? {} : { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' },
      ...options,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, socket: res.socket }));
    });
    req.on('error', reject);
    req.end(body === undefined || typeof body === 'string' ? body : JSON.stringify(body));
  });
}

let soc = 20;
async function postReading() {
  const r = await request('POST', '/api/data/solar', { body: { soc: soc++, solar_w: 321.5, lux: 42000 } });
  assert.equal(r.status, 201, r.text);
  return JSON.parse(r.text);
}

function connect(opts) {
  const socket = io(base, { forceNew: true, reconnection: false, ca, ...opts });
  sockets.push(socket);
  return socket;
}

test('the start-up line says https://', () => {
  assert.match(server.output(), /listening on https:\/\/127\.0\.0\.1:\d+/);
});

test('GET /healthz over HTTPS, verified against the test certificate', async () => {
  const r = await request('GET', '/healthz');
  assert.equal(r.status, 200, r.text);
});

test('POST /api/data/solar and GET /api/data/latest over HTTPS', async () => {
  const posted = await postReading();
  assert.equal(posted.success, true);
  const r = await request('GET', '/api/data/latest');
  assert.equal(r.status, 200, r.text);
  assert.equal(JSON.parse(r.text).soc, soc - 1);
});

test('the handlers see the TLS client\'s own address, not the bridge\'s', async () => {
  await postReading();
  const r = await request('GET', '/api/arduino/status');
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /"address":"127\.0\.0\.1"/);
});

test('socket.io-client over wss:// (websocket only) receives new_sun_data', async () => {
  const socket = connect({ transports: ['websocket'] });
  await once(socket, 'connection_response');
  assert.equal(socket.io.engine.transport.name, 'websocket');
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  const [data] = await got;
  assert.equal(data.soc, posted.data.soc);
});

test('socket.io-client polling over HTTPS receives new_sun_data', async () => {
  const socket = connect({ transports: ['polling'] });
  await once(socket, 'connection_response');
  assert.equal(socket.io.engine.transport.name, 'polling');
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  const [data] = await got;
  assert.equal(data.soc, posted.data.soc);
});

test('socket.io-client default: polling, then the upgrade to wss://', async () => {
  const socket = connect({});
  await once(socket, 'connection_response');
  if (socket.io.engine.transport.name !== 'websocket') await once(socket.io.engine, 'upgrade', { what: 'the upgrade' });
  assert.equal(socket.io.engine.transport.name, 'websocket');
  const got = once(socket, 'new_sun_data');
  const posted = await postReading();
  const [data] = await got;
  assert.equal(data.soc, posted.data.soc);
});

test('a plain http:// request to the TLS port hears that the port speaks HTTPS', async () => {
  const r = await new Promise((resolve, reject) => {
    const req = http.get(`http://127.0.0.1:${server.port}/healthz`, { agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
  });
  assert.equal(r.status, 400);
  assert.match(r.text, /this port speaks HTTPS/);
});

test('a client that does not trust the certificate refuses it', async () => {
  await assert.rejects(request('GET', '/healthz', { options: { ca: undefined } }),
    (e) => /self[- ]signed|unable to verify/i.test(`${e.code} ${e.message}`));
});

test('TLS 1.2 and 1.3 are both spoken', async () => {
  for (const version of ['TLSv1.2', 'TLSv1.3']) {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca, servername: 'localhost',
      minVersion: version, maxVersion: version });
    await once(socket, 'secureConnect', { what: `a ${version} handshake` });
    assert.equal(socket.getProtocol(), version);
    socket.destroy();
  }
});

test('the server ends a connection with close_notify, not a bare FIN', async () => {
  // OpenSSL's own client says "unexpected eof while reading" when the
  // stream ends without close_notify (node's TLS socket does not tell).
  const out = await new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, '-CAfile', certFile,
      '-verify_return_error', '-quiet', '-ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, text }));
    child.stdin.end('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
  assert.match(out.text, /^HTTP\/1\.1 200/m, out.text);
  assert.doesNotMatch(out.text, /unexpected eof|error/i, out.text);
  assert.equal(out.code, 0, out.text);
});

test('a client that sends close_notify right after its request still gets the answer', async () => {
  // TLS half-close: close_notify (and FIN) ends only the client's direction.
  // The request is a held Engine.IO long-poll, answered only by a broadcast
  // made after the close_notify has arrived.
  const eio = '/socket.io/?EIO=4&transport=polling';
  const open = await request('GET', eio);
  const { sid } = JSON.parse(open.text.slice(1));
  assert.equal((await request('POST', `${eio}&sid=${sid}`, { body: '40' })).text, 'ok');
  let drained = '';
  while (!drained.includes('connection_response')) drained += (await request('GET', `${eio}&sid=${sid}`)).text;

  const socket = tls.connect({ host: '127.0.0.1', port: server.port, ca, servername: 'localhost', allowHalfOpen: true });
  await once(socket, 'secureConnect');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => { text += d; });
  const ended = once(socket, 'end', { what: 'the end of the answer' });
  socket.end(`GET ${eio}&sid=${sid} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 300));  // let the close_notify arrive first (ordering, not timing)
  const posted = await postReading();
  await ended;
  assert.match(text, /^HTTP\/1\.1 200/, text);
  assert.ok(text.includes('new_sun_data') && text.includes(`"soc":${posted.data.soc}`), text);
  socket.destroy();
});

async function startFails(env) {
  let failure;
  await assert.rejects(startServer({ env }), (e) => { failure = e.message; return /exited with [1-9]/.test(e.message); });
  return failure;
}

test('a missing key file: solgrid does not start and names the file', async () => {
  const missing = path.join(dir, 'nowhere.key');
  const out = await startFails({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: missing });
  assert.ok(out.includes(`TLS_KEY_FILE ${missing}`), out);
});

test('a key that belongs to another certificate: solgrid does not start and says so', async () => {
  const other = makeCertificate('other');
  const out = await startFails({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: other.key });
  assert.ok(out.includes(`TLS_KEY_FILE ${other.key} does not match the certificate in TLS_CERT_FILE ${certFile}`), out);
});

test('a certificate file that is not PEM: solgrid does not start and names it', async () => {
  const junk = path.join(dir, 'junk.crt');
  writeFileSync(junk, 'not a certificate\n');
  const out = await startFails({ TLS_CERT_FILE: junk, TLS_KEY_FILE: keyFile });
  assert.ok(out.includes(`TLS_CERT_FILE ${junk} is not a PEM certificate`), out);
});

test('with AUTH on, a login over HTTPS sets a Secure session cookie that works over wss://', async () => {
  const s = await startServer({ env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, AUTH: 'on', ADMIN_PASSWORD: 'tls-admin-pass' } });
  try {
    const url = `https://127.0.0.1:${s.port}`;
    const login = await new Promise((resolve, reject) => {
      const req = https.request(`${url}/api/auth/login`, {
        method: 'POST', ca, agent: false, headers: { 'Content-Type': 'application/json', Origin: url },
      }, (res) => { res.resume(); res.on('end', () => resolve(res)); });
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'admin', password: 'tls-admin-pass' }));
    });
    assert.equal(login.statusCode, 200);
    const set = login.headers['set-cookie'][0];
    assert.match(set, /; Secure/);
    assert.match(set, /HttpOnly/);
    const socket = io(url, { forceNew: true, reconnection: false, ca, transports: ['websocket'], extraHeaders: { Cookie: set.split(';')[0] } });
    sockets.push(socket);
    await once(socket, 'connection_response');
  } finally {
    await s.stop();
  }
});
