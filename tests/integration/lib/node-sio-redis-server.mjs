// A real Node.js socket.io server (npm socket.io 4.x) with the official
// @socket.io/redis-streams-adapter (0.3.x) on node-redis v4 and
// connectionStateRecovery on: the peer solgrid's Redis adapter must
// interoperate with (issue 15 item 1). Run as its own process (stopped by
// PID): `node node-sio-redis-server.mjs` with REDIS_URL in the environment;
// it listens on an ephemeral 127.0.0.1 port and prints
// "listening on http://127.0.0.1:PORT" like solgrid. Its own socket.io-client
// connects to it and records every event it receives.
//
// Control over HTTP (JSON; a Buffer is written {"$buffer": "<base64>"} both ways):
//   POST /emit {event, args, to?: [room…], except?: [room…]}
//        → io.to(to).except(except).emit(event, ...args)   {ok, offset?}
//   GET  /seen → {id, events: [{event, args}]}  what its own client received
//   GET  /healthz → {ok, redis}
//
// In the test process, startNodeSioServer({ redisUrl }) spawns it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { waitForListening } from './server.mjs';

const self = fileURLToPath(import.meta.url);

const encodeValue = (v) => {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $buffer: Buffer.from(v).toString('base64') };
  if (v instanceof ArrayBuffer) return { $buffer: Buffer.from(new Uint8Array(v)).toString('base64') };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  return v;
};
const decodeValue = (v) => {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v && typeof v === 'object') {
    if (typeof v.$buffer === 'string' && Object.keys(v).length === 1) return Buffer.from(v.$buffer, 'base64');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x)]));
  }
  return v;
};
export { encodeValue, decodeValue };

// ---- the test side ---------------------------------------------------------

// Starts the server as a child process on the Redis at `redisUrl`.
export async function startNodeSioServer({ redisUrl, recoveryWindowMs = 120000 }) {
  const child = spawn(process.execPath, [self], {
    env: { PATH: process.env.PATH, REDIS_URL: redisUrl, RECOVERY_WINDOW_MS: String(recoveryWindowMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { boundPort, output } = await waitForListening(child, 'node socket.io server');
  const url = `http://127.0.0.1:${boundPort}`;
  const call = async (method, route, body) => {
    const res = await fetch(url + route, {
      method, headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(encodeValue(body)) : undefined,
    });
    const json = await res.json();
    if (res.status !== 200) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  return {
    url,
    port: boundPort,
    child,
    output,
    // {event, args, to?, except?}: args may hold Buffers.
    emit: (spec) => call('POST', '/emit', spec),
    // What the server's own client received: [{event, args}] with Buffers back.
    async seen() {
      const r = await call('GET', '/seen');
      return { id: r.id, events: decodeValue(r.events) };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const timeout = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, 5000);
        await exited;
        clearTimeout(timeout);
      }
    },
  };
}

// ---- the server process ------------------------------------------------------

async function main() {
  const { Server } = await import('socket.io');
  const { createAdapter } = await import('@socket.io/redis-streams-adapter');
  const { createClient } = await import('redis');
  const { io: ioClient } = await import('socket.io-client');

  const redis = createClient({ url: process.env.REDIS_URL });
  let redisUp = false;
  redis.on('ready', () => { redisUp = true; console.log('redis: ready'); });
  redis.on('end', () => { redisUp = false; });
  redis.on('error', (e) => { redisUp = false; console.log(`redis: ${e.message}`); });
  await redis.connect();

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    adapter: createAdapter(redis),
    connectionStateRecovery: { maxDisconnectionDuration: Number(process.env.RECOVERY_WINDOW_MS || 120000) },
  });

  const seen = [];
  let client;

  httpServer.on('request', (req, res) => {
    if (req.url.startsWith('/socket.io/')) return;  // socket.io's own
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const reply = (status, json) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      try {
        if (req.method === 'POST' && req.url === '/emit') {
          const spec = decodeValue(JSON.parse(body));
          if (typeof spec.event !== 'string') return reply(400, { ok: false, error: 'event must be a string' });
          let op = io;
          if (spec.to?.length) op = op.to(spec.to);
          if (spec.except?.length) op = op.except(spec.except);
          op.emit(spec.event, ...(spec.args || []));
          return reply(200, { ok: true });
        }
        if (req.method === 'GET' && req.url === '/seen') return reply(200, { id: client?.id, events: encodeValue(seen) });
        if (req.method === 'GET' && req.url === '/healthz') return reply(200, { ok: true, redis: redisUp });
        return reply(404, { ok: false, error: 'no such route' });
      } catch (e) {
        return reply(400, { ok: false, error: String(e.message || e) });
      }
    });
  });

  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address();
  client = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  client.onAny((event, ...args) => seen.push({ event, args }));
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  // Printed only once its own client is connected, so a test can rely on it.
  console.log(`listening on http://127.0.0.1:${port} (client ${client.id})`);

  const stop = async () => {
    client.disconnect();
    io.close();
    try { await redis.quit(); } catch {}
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] === self) {
  main().catch((e) => {
    console.error(`node socket.io server: ${e.stack || e}`);
    process.exit(1);
  });
}
