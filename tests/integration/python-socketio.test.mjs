// Debian's python-socketio 5 client (/usr/bin/python3, module `socketio`)
// against a default `solgrid serve` (connection-state recovery on), with the
// one-argument handlers the seed's Python stack uses: it must receive
// connection_response, new_sun_data and relay_status_update exactly as
// socket.io-client does, over the default polling → websocket upgrade and
// over WebSocket only. Before offsets were limited to clients that keep
// them, every broadcast carried one extra argument and each of these
// handlers raised TypeError, so the events never arrived.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, postJson } from './lib/server.mjs';
import { connect, once, waitUntil, closeAll, sunFields, WAIT_MS } from './lib/sio.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'python/sun_client.py');
const python = '/usr/bin/python3';  // Debian's, with python3-socketio

let server;
const sockets = [];
const children = [];
before(async () => { server = await startServer(); });  // default settings: recovery on
after(async () => {
  closeAll(sockets);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
});

// Starts the Python client; `lines` fills with its JSON lines as they come.
function startPython(mode) {
  const child = spawn(python, [script, server.url, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines = [];
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(out.slice(0, nl)));
      out = out.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d) => { err += d.toString(); });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { lines, exited, stderr: () => err };
}

let soc = 40;
for (const mode of ['default', 'websocket']) {
  test(`python-socketio with one-argument handlers receives the seed's events (${mode})`, async () => {
    // socket.io-client beside it, as the reference for what was broadcast.
    const reference = await connect(server.url, { transports: ['websocket'] });
    sockets.push(reference);
    const refSun = once(reference, 'new_sun_data');
    const refRelay = once(reference, 'relay_status_update');

    const py = startPython(mode);
    const hello = await waitUntil(() => py.lines.find((l) => l.event === 'connection_response'), {
      what: `the python client's connection_response (stderr: ${py.stderr()})`,
    });
    assert.deepEqual(hello.data, { status: 'connected' });
    // Printed once sio.connect() returns, which may be after the first
    // event's handler ran on python-socketio's thread.
    const connected = await waitUntil(() => py.lines.find((l) => l.event === 'connected'), {
      what: `the python client's connected line (stderr: ${py.stderr()})`,
    });
    assert.equal(connected.transport, 'websocket');  // upgraded, or WebSocket from the start

    const reading = { soc: soc++, solar_w: 321.5, lux: 42000 };
    const posted = await postJson(`${server.url}/api/data/solar`, reading);
    assert.equal(posted.status, 201);
    const relay = await postJson(`${server.url}/api/relay/update`, { A: true, B: false, C: true, D: false });
    assert.equal(relay.status, 200);

    const code = await Promise.race([
      py.exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('python client did not finish')), WAIT_MS * 2)),
    ]);
    assert.equal(code, 0, `python client gave up; it printed ${JSON.stringify(py.lines)}; stderr: ${py.stderr()}`);
    assert.doesNotMatch(py.stderr(), /TypeError|Traceback/);

    const sun = py.lines.filter((l) => l.event === 'new_sun_data').map((l) => l.data);
    assert.deepEqual(sun, [sunFields(posted.json.data)]);
    const [refSunData, ...refSunRest] = await refSun;
    assert.deepEqual(refSunRest, []);  // one argument for socket.io-client too on a first connection
    assert.deepEqual(sun[0], refSunData);

    const [firstRelay] = py.lines.filter((l) => l.event === 'relay_status_update').map((l) => l.data);
    for (const [k, v] of Object.entries({ A: true, B: false, C: true, D: false })) assert.equal(firstRelay[k], v, k);
    assert.deepEqual(firstRelay, (await refRelay)[0]);
    reference.disconnect();
  });
}
