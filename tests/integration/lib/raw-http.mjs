// Raw HTTP/1.1 over node:net, for what fetch and curl will not send or will
// tidy up: paths as-is (//etc/passwd), pipelined requests, a whole body
// written before the answer is read. Responses are parsed strictly, so a
// stray body byte shows up as a broken next response.
import net from 'node:net';

// Sends `bytes`, collects everything until the server closes (or `limitMs`).
// Resolves {data: Buffer, error?: Error}; a reset after data is reported, not thrown.
export function exchange(port, bytes, { limitMs = 15000 } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.write(bytes));
    const timer = setTimeout(() => sock.destroy(new Error(`no close within ${limitMs} ms`)), limitMs);
    let error;
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { error = e; });
    sock.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), error }); });
  });
}

// A GET/HEAD/... request line and headers, ending the header block.
export function request(method, target, headers = {}) {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

// Parses consecutive responses from `data`; `methods[i]` is the method of
// the i-th request (a HEAD answer has no body whatever its Content-Length).
// Returns {responses, rest} where rest is any bytes left over (should be none).
export function parseResponses(data, methods) {
  const responses = [];
  let at = 0;
  for (const method of methods) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = data.subarray(at, end).toString('latin1').split('\r\n');
    const m = head[0].match(/^HTTP\/1\.1 (\d{3}) /);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(head[0].slice(0, 80))}`);
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    at = end + 4;
    let body = Buffer.alloc(0);
    if (method !== 'HEAD' && headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = data.subarray(at, at + n);
      at += n;
    }
    responses.push({ status: Number(m[1]), headers, body });
  }
  return { responses, rest: data.subarray(at) };
}
