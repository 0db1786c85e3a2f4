// Debian's real nginx in front of solgrid for tests (issue 14 item 3):
// deploy/nginx.conf rendered with only the ports, certificate paths,
// upstream address and Socket.IO read timeout substituted, under a
// temporary prefix with the test's own main file, and a self-signed
// certificate made at test time. Used by tests/integration/nginx.test.mjs
// and the browser test tests/e2e/nginx.test.mjs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from './server.mjs';
import { waitUntil } from './sio.mjs';

export const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';
const site = readFileSync(path.join(repoRoot, 'deploy/nginx.conf'), 'utf8');

export function makeCertificate(dir) {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'pipe' });
  return { cert, key };
}

export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// deploy/nginx.conf with exactly these changes; each pattern must occur as
// often as expected, so the file and this test cannot drift apart silently.
export function renderSite({ httpPort, httpsPort, upstreamPort, cert, key }, readTimeoutMs) {
  const subs = [
    [/^[ \t]*listen \[::\]:80;\n/gm, '', 1],
    [/^[ \t]*listen \[::\]:443 ssl http2;\n/gm, '', 1],
    [/listen 80;/g, `listen 127.0.0.1:${httpPort};`, 1],
    [/listen 443 ssl http2;/g, `listen 127.0.0.1:${httpsPort} ssl http2;`, 1],
    [/server 127\.0\.0\.1:5000;/g, `server 127.0.0.1:${upstreamPort};`, 1],
    [/ssl_certificate +\/etc\/solgrid\/tls\/fullchain\.pem;/g, `ssl_certificate ${cert};`, 1],
    [/ssl_certificate_key +\/etc\/solgrid\/tls\/privkey\.pem;/g, `ssl_certificate_key ${key};`, 1],
    [/proxy_read_timeout 75s;/g, `proxy_read_timeout ${readTimeoutMs}ms;`, 1],
    [/proxy_send_timeout 75s;/g, `proxy_send_timeout ${readTimeoutMs}ms;`, 1],
  ];
  let text = site;
  for (const [pattern, replacement, count] of subs) {
    assert.equal((text.match(pattern) || []).length, count, `deploy/nginx.conf has ${pattern} ${count} time(s)`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

// nginx needs a writable prefix: pid, logs and every temp path in `dir`.
// As root its workers would switch to nobody/www-data, who cannot read the
// 0700 temp dir: `user root;` keeps them as the test's own user (as any
// other user, nginx cannot switch and runs the workers as itself).
function mainConfig(dir) {
  const tmp = path.join(dir, 'tmp');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(tmp, d), { recursive: true });
  return `${process.getuid() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${tmp}/body;
    proxy_temp_path ${tmp}/proxy;
    fastcgi_temp_path ${tmp}/fastcgi;
    uwsgi_temp_path ${tmp}/uwsgi;
    scgi_temp_path ${tmp}/scgi;
    include ${dir}/site.conf;
}
`;
}

async function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// Starts Debian's nginx with deploy/nginx.conf rendered for `ports`
// ({ httpPort, httpsPort, upstreamPort, cert, key }) under the prefix `dir`;
// resolves once it listens on both ports. stop() ends it by PID.
export async function startNginx(dir, ports, readTimeoutMs) {
  return startNginxSite(dir, renderSite(ports, readTimeoutMs), ports);
}

// The same with a site already rendered (lib/cluster.mjs: deploy/nginx-cluster.conf).
export async function startNginxSite(dir, siteText, ports) {
  writeFileSync(path.join(dir, 'site.conf'), siteText);
  writeFileSync(path.join(dir, 'nginx.conf'), mainConfig(dir));
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  execFileSync(NGINX, [...args, '-t'], { stdio: 'pipe' });
  const child = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitUntil(async () => child.exitCode !== null || (await canConnect(ports.httpsPort) && await canConnect(ports.httpPort)),
      { what: 'nginx to listen' });
  } catch (e) {
    try { process.kill(child.pid, 'SIGKILL'); } catch {}
    throw e;
  }
  if (child.exitCode !== null) throw new Error(`nginx exited: ${output}${readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM');  // fast shutdown of the master and its worker
        await exited;
      }
    },
  };
}
