// The connection layer at its limits, against the real binary (issue 11 A10):
// a 413 reaches clients that send their whole body before reading; a port in
// use is a sentence a person can act on; the open-file limit does not flood
// the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, solgridBin, waitForListening, getJson } from './lib/server.mjs';
import { exchange, parseResponses } from './lib/raw-http.mjs';

const run = promisify(execFile);
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

// Python's http.client sends the whole body, then reads: it used to get a
// broken pipe or a reset in 2 of 3 tries and never saw the 413.
test('python http.client posting 2 MB sees the 413 every time', async () => {
  const script = `
import http.client, json, sys
port = int(sys.argv[1])
for i in range(6):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
    try:
        c.request('POST', '/api/data/solar', body=b'x' * (2 * 1024 * 1024), headers={'Content-Type': 'application/json'})
        r = c.getresponse()
        print(r.status, json.loads(r.read())['error'])
    except Exception as e:
        print('ERR', type(e).__name__, e)
    finally:
        c.close()
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, String(server.port)], { timeout: 120000 });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 6, stdout);
  for (const line of lines) assert.match(line, /^413 request body too large$/, stdout);
});

test('a raw client writing headers and 2 MB before reading gets the 413', async () => {
  for (let i = 0; i < 3; i++) {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x78);
    const head = `POST /api/data/solar HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { data, error } = await exchange(server.port, Buffer.concat([Buffer.from(head), body]));
    const { responses } = parseResponses(data, ['POST']);
    assert.equal(responses.length, 1, `try ${i}: ${error?.code ?? ''} ${data.toString('latin1').slice(0, 120)}`);
    assert.equal(responses[0].status, 413);
    assert.equal(JSON.parse(responses[0].body.toString()).success, false);
  }
  assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
});

test('oversized headers get their 431 too', async () => {
  const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(64 * 1024)}\r\n\r\n`;
  const { data } = await exchange(server.port, head);
  const { responses } = parseResponses(data, ['GET']);
  assert.equal(responses.length, 1, data.toString('latin1').slice(0, 120));
  assert.equal(responses[0].status, 431);
});

test('a second server on the same port says so in a sentence and exits non-zero', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-it-'));
  try {
    const child = spawn(solgridBin, ['serve', '--host', '127.0.0.1', '--port', String(server.port)], {
      cwd: dir,
      env: { PATH: process.env.PATH, DB_PATH: path.join(dir, 'solgrid.db'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.notEqual(code, 0, output);
    assert.ok(output.includes(`port ${server.port} is already in use; set PORT or stop the other process`), output);
    assert.ok(output.includes(`127.0.0.1:${server.port}`), output);
    assert.doesNotMatch(output, /system:98|\/usr\/include/, output);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  assert.equal((await getJson(`${server.url}/healthz`)).status, 200);  // the first one is unharmed
});

// At the open-file limit accept() fails at once, every 50 ms: ~20 identical
// warnings a second before; now one line per 10 s with a count.
test('at the open-file limit the accept warning is not repeated 20 times a second', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-it-'));
  const child = spawn('prlimit', ['--nofile=48:48', '--', solgridBin, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, DB_PATH: path.join(dir, 'solgrid.db'), LOG_LEVEL: 'info', THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sockets = [];
  try {
    const { boundPort, output } = await waitForListening(child, 'solgrid');
    // More connections than the server has descriptors left.
    for (let i = 0; i < 80; i++) {
      const s = net.connect(boundPort, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    // Wait until the limit has been hit, then hold it there for 2 s: before
    // the fix that was ~40 lines.
    const deadline = Date.now() + 15000;
    while (!/accept failed/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(output(), /accept failed: Too many open files/);
    await new Promise((r) => setTimeout(r, 2000));
    const lines = output().split('\n').filter((l) => l.includes('accept failed'));
    assert.ok(lines.length <= 2, `${lines.length} warnings:\n${lines.join('\n')}`);
    // It recovers once descriptors are free again.
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      try { ok = (await fetch(`http://127.0.0.1:${boundPort}/healthz`)).status === 200; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.ok(ok, 'serves again after the limit');
  } finally {
    for (const s of sockets) s.destroy();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
