// A raw HTTP/1.1 keep-alive connection over node:net for the connection-limit
// tests: requests go out one at a time on the same socket, each resolving
// with the parsed response, or null if the server closed without one.
import net from 'node:net';

export function keepAlive(port) {
  const sock = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let closed = false;
  const waiters = [];
  const pump = () => {
    while (waiters.length) {
      const end = buf.indexOf('\r\n\r\n');
      let res = null;
      if (end >= 0) {
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number((head[0].match(/^HTTP\/1\.1 (\d{3}) /) || [])[1]);
        const headers = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const n = Number(headers['content-length'] || 0);
        if (buf.length >= end + 4 + n) {
          res = { status, headers, body: buf.subarray(end + 4, end + 4 + n).toString('utf8') };
          buf = buf.subarray(end + 4 + n);
        }
      }
      if (res) waiters.shift()(res);
      else if (closed) waiters.shift()(null);
      else break;
    }
  };
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });
  sock.on('close', () => { closed = true; pump(); });
  sock.on('error', () => {});
  return {
    get closed() { return closed; },
    // Sends one request; resolves with {status, headers, body} or null.
    send(method, target, body) {
      const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
      if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
      const p = new Promise((resolve) => { waiters.push(resolve); });
      if (closed) pump();
      else sock.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
      return p;
    },
    close() {
      sock.destroy();
      return new Promise((r) => (closed ? r() : sock.once('close', r)));
    },
  };
}
