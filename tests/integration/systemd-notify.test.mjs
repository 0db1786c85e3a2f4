// `solgrid serve` under a Type=notify unit (issue 14 item 2): the real binary
// sends READY=1 (the port already answers), WATCHDOG=1 again and again while
// WATCHDOG_USEC is set, and STOPPING=1 on SIGTERM, to the datagram socket
// NOTIFY_SOCKET names. The socket is read by Debian's python3 (node has no
// unix datagram sockets), as systemd would read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, getJson } from './lib/server.mjs';

const listener = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

// A notify socket in a fresh directory; `messages` grows as datagrams arrive,
// `waitFor(pred)` resolves with the first message (from `from` on) matching.
async function notifySocket() {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-notify-'));
  const socketPath = path.join(dir, 'notify.sock');
  const py = spawn('/usr/bin/python3', ['-c', listener, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages = [];
  const waiters = [];
  let buffered = '';
  let bound;
  const isBound = new Promise((r) => { bound = r; });
  py.stdout.on('data', (d) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'bound') { bound(); continue; }
      messages.push(JSON.parse(line));
      for (const w of [...waiters]) w();
    }
  });
  await isBound;
  return {
    path: socketPath,
    messages,
    // Gives up (rejects) after 15 s so a server that never sends does not
    // hang the runner; not a speed check.
    waitFor(pred, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no matching notification; got: ${JSON.stringify(messages)}`));
        }, 15000);
        const check = () => {
          const i = messages.findIndex((m, k) => k >= from && pred(m));
          if (i < 0) return false;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve({ message: messages[i], index: i });
          return true;
        };
        waiters.push(check);
        check();
      });
    },
    close() {
      py.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const lines = (m) => m.split('\n');

test('READY=1 once the port answers, WATCHDOG=1 repeatedly, STOPPING=1 on SIGTERM', async () => {
  const sock = await notifySocket();
  let server;
  try {
    server = await startServer({ env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '200000' } });
    const ready = await sock.waitFor((m) => lines(m).includes('READY=1'));
    assert.ok(lines(ready.message).some((l) => l.startsWith('STATUS=')), ready.message);
    // Nothing precedes READY but watchdog pings: no STOPPING, no second READY.
    assert.ok(sock.messages.slice(0, ready.index).every((m) => m === 'WATCHDOG=1'), sock.messages.join(' | '));
    const health = await getJson(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const readyz = await getJson(`${server.url}/readyz`);
    assert.equal(readyz.status, 200, readyz.text);
    assert.equal(readyz.json.ready, true);

    // Three pings after READY: the io loop keeps sending them.
    let from = ready.index + 1;
    for (let i = 0; i < 3; ++i) from = (await sock.waitFor((m) => m === 'WATCHDOG=1', from)).index + 1;
    assert.ok(!sock.messages.some((m) => lines(m).includes('STOPPING=1')));

    const stopping = sock.waitFor((m) => lines(m).includes('STOPPING=1'));
    assert.equal(await server.stop(), 0);
    server = undefined;
    const { message } = await stopping;
    assert.match(message, /STATUS=/);
  } finally {
    await server?.stop();
    sock.close();
  }
});

test('without NOTIFY_SOCKET (a checkout) the server runs and stops as before', async () => {
  const server = await startServer({ env: { WATCHDOG_USEC: '200000' } });
  try {
    assert.equal((await getJson(`${server.url}/healthz`)).status, 200);
    assert.equal((await getJson(`${server.url}/readyz`)).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('a NOTIFY_SOCKET nobody listens on is logged, not fatal', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-notify-'));
  const server = await startServer({ env: { NOTIFY_SOCKET: path.join(dir, 'absent.sock'), WATCHDOG_USEC: '200000' } });
  try {
    assert.equal((await getJson(`${server.url}/readyz`)).status, 200);
    assert.match(server.output(), /systemd notify \(READY=1\) failed/);
  } finally {
    assert.equal(await server.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
