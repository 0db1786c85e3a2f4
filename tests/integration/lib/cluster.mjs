// Several real solgrid instances as one server (issue 15): Redis, MariaDB,
// N `solgrid serve` on one database and one Redis, and Debian's nginx in
// front with a site rendered from deploy/nginx-cluster.conf (only the
// ports, the certificate and the upstream list substituted). Every process
// is started and stopped by PID; each instance's output goes to a log file
// in the cluster's directory (and stays readable through output()).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startServer, getJson } from './server.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, dropDatabase } from './mariadb.mjs';
import { makeCertificate, freePort, startNginxSite } from './nginx.mjs';
import { waitUntil } from './sio.mjs';

const run = promisify(execFile);
const redisScript = path.join(repoRoot, 'scripts/redis-test-server');

// ---- Redis -------------------------------------------------------------------

function parseRedisEnv(text) {
  const url = text.match(/^export SOLGRID_TEST_REDIS_URL=(.*)$/m)?.[1];
  const dir = text.match(/^export SOLGRID_TEST_REDIS_DIR=(.*)$/m)?.[1];
  if (!url || !dir) throw new Error(`redis-test-server printed no coordinates:\n${text}`);
  return { url, dir };
}

// The shared Redis of `make test` (SOLGRID_TEST_REDIS_URL) when set and
// `restartable` is false; otherwise a private redis-server
// (scripts/redis-test-server in a directory of ours) that the test may stop
// and start again on the same port: stop() kills it by PID and keeps the
// directory, start() brings it back, destroy() ends it and deletes it.
export async function startRedis({ restartable = false } = {}) {
  const shared = process.env.SOLGRID_TEST_REDIS_URL;
  if (shared && !restartable) {
    return { url: shared, shared: true, pid: undefined, async stop() {}, async start() {}, async destroy() {} };
  }
  const dir = mkdtempSync(path.join(process.env.SOLGRID_TEST_REDIS_DIR || tmpdir(), 'cluster-redis-'));
  const { stdout } = await run(redisScript, ['start', dir]);
  const { url } = parseRedisEnv(stdout);
  const pidOf = () => Number(readFileSync(path.join(dir, 'redis.pid'), 'utf8'));
  const redis = {
    url,
    dir,
    shared: false,
    pid: pidOf(),
    // Kills redis-server by PID and waits until it is gone; the port stays ours.
    async stop() {
      const pid = pidOf();
      try { process.kill(pid, 'SIGKILL'); } catch {}
      await waitUntil(() => { try { process.kill(pid, 0); return false; } catch { return true; } },
        { what: 'redis-server to exit' });
    },
    // Starts it again on the same port (an empty Redis: no persistence).
    async start() {
      await run(redisScript, ['start', dir]);
      redis.pid = pidOf();
    },
    async destroy() { await run(redisScript, ['stop', dir]); },
  };
  return redis;
}

// ---- nginx ---------------------------------------------------------------------

const clusterSite = readFileSync(path.join(repoRoot, 'deploy/nginx-cluster.conf'), 'utf8');

// deploy/nginx-cluster.conf with exactly these changes: the listen ports
// (IPv4 loopback only), the certificate, and the three example upstreams
// replaced by `upstreamPorts` (keeping each line's max_fails/fail_timeout).
// Each pattern must occur as often as expected, so the file and the test
// cannot drift apart silently.
export function renderClusterSite({ httpPort, httpsPort, upstreamPorts, cert, key }) {
  const servers = clusterSite.match(/^([ \t]*)server 127\.0\.0\.1:500[123]( [^;\n]*)?;\n/gm) || [];
  assert.equal(servers.length, 3, 'deploy/nginx-cluster.conf lists three example upstreams');
  const [, indent, params = ''] = servers[0].match(/^([ \t]*)server \S+?( [^;\n]*)?;\n/);
  const upstreams = upstreamPorts.map((p) => `${indent}server 127.0.0.1:${p}${params};\n`).join('');
  const subs = [
    [/^[ \t]*server 127\.0\.0\.1:500[123]( [^;\n]*)?;\n/gm, (m) => (m === servers[0] ? upstreams : ''), 3],
    [/^[ \t]*hash \$remote_addr consistent;\n/gm, (m) => m, 1],
    [/^[ \t]*listen \[::\]:80;\n/gm, '', 1],
    [/^[ \t]*listen \[::\]:443 ssl http2;\n/gm, '', 1],
    [/listen 80;/g, `listen 127.0.0.1:${httpPort};`, 1],
    [/listen 443 ssl http2;/g, `listen 127.0.0.1:${httpsPort} ssl http2;`, 1],
    [/ssl_certificate +\/etc\/solgrid\/tls\/fullchain\.pem;/g, `ssl_certificate ${cert};`, 1],
    [/ssl_certificate_key +\/etc\/solgrid\/tls\/privkey\.pem;/g, `ssl_certificate_key ${key};`, 1],
  ];
  let text = clusterSite;
  for (const [pattern, replacement, count] of subs) {
    assert.equal((text.match(pattern) || []).length, count, `deploy/nginx-cluster.conf has ${pattern} ${count} time(s)`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

// ---- the cluster -----------------------------------------------------------------

// Starts Redis, a fresh database on the shared MariaDB (SOLGRID_TEST_MYSQL_*:
// required, the test fails without it), `instances` solgrid processes and
// nginx in front of them. `env` is added to every instance's environment.
// Returns { dir, redis, mysql, database, instances, nginx, stop() }; an
// instance is lib/server.mjs's handle plus `index` and `logFile`.
export async function startCluster({ instances = 3, env = {}, restartableRedis = false } = {}) {
  const mysql = sharedMysql();
  const dir = mkdtempSync(path.join(tmpdir(), 'solgrid-cluster-'));
  const cluster = { dir, mysql, database: uniqueDatabase('solgrid_cluster'), instances: [], redis: null, nginx: null };
  cluster.stop = async () => {
    await cluster.nginx?.stop();
    for (const s of cluster.instances) await s.stop({ keepDir: true, signal: 'SIGKILL' });
    await cluster.redis?.destroy();
    await dropDatabase(mysql, cluster.database).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster.redis = await startRedis({ restartable: restartableRedis });
    const base = {
      AUTH: 'off', LOG_LEVEL: 'info', REDIS_URL: cluster.redis.url,
      ...solgridEnv(mysql, cluster.database), ...env,
    };
    // One at a time: the first creates the schema, the others find it.
    for (let i = 0; i < instances; i++) {
      const idir = path.join(dir, `instance-${i + 1}`);
      mkdirSync(idir);
      const s = await startServer({ env: base, dir: idir });
      s.index = i;
      s.logFile = path.join(dir, `instance-${i + 1}.log`);
      appendFileSync(s.logFile, s.output());
      const tee = (d) => appendFileSync(s.logFile, d);
      s.child.stdout.on('data', tee);
      s.child.stderr.on('data', tee);
      cluster.instances.push(s);
    }
    const { cert, key } = makeCertificate(dir);
    const ndir = path.join(dir, 'nginx');
    mkdirSync(ndir);
    // A port taken between freePort() and nginx's bind makes nginx fail: try again.
    for (let attempt = 1; ; attempt++) {
      const ports = {
        httpPort: await freePort(), httpsPort: await freePort(), cert, key,
        upstreamPorts: cluster.instances.map((s) => s.port),
      };
      try {
        cluster.nginx = await startNginxSite(ndir, renderClusterSite(ports), ports);
        cluster.nginx.url = `https://127.0.0.1:${ports.httpsPort}`;
        cluster.nginx.ca = readFileSync(cert);
        cluster.nginx.errorLog = path.join(ndir, 'error.log');
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

// ---- what an instance says about itself --------------------------------------------

// The value of a /metrics series, summed over its label sets (undefined when absent).
export async function metric(instance, name) {
  const res = await fetch(`${instance.url}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

export async function healthz(instance) {
  return (await getJson(`${instance.url}/healthz`)).json;
}
