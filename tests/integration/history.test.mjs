// aggregate_old_data, GET /api/data/history (JSON and CSV) and
// GET /api/energy/summary against the real binary, on SQLite and on MariaDB.
// A day of readings with real timestamps is written straight into the
// database; the expected hourly energy is computed here, in JS.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, postJson, getJson, solgridBin } from './lib/server.mjs';
import { sharedMysql, uniqueDatabase, solgridEnv, mysqlQuery, dropDatabase } from './lib/mariadb.mjs';

const run = promisify(execFile);
const HOUR = 3600e3;
// The UTC day before yesterday: complete, and well inside the raw retention.
const DAY = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR;
const compact = (ms) => new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
const MAX_GAP_MS = 300e3;

// About one reading a minute (ms jitter), a daylight curve, a 25-minute hole at 13:20.
function dayOfReadings() {
  const out = [];
  let seed = 2024;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let t = DAY + 5e3; t < DAY + 24 * HOUR; t += 60e3) {
    const at = t + Math.floor(rnd() * 20e3);
    const h = (at - DAY) / HOUR;
    if (h >= 13 + 20 / 60 && h < 13 + 45 / 60) continue;
    const sun = Math.max(0, Math.sin((Math.PI * (h - 6)) / 12));
    out.push({
      at,
      soc: Math.min(100, Math.floor(35 + 55 * sun + rnd() * 3)),
      solar_w: Math.round((sun * 750 + rnd() * 5) * 10) / 10,
      lux: Math.round(sun * 88000),
    });
  }
  return out;
}

// Trapezoid rule over [from, to): segments clipped at the edges with the power
// interpolated there; segments longer than the gap limit carry nothing.
function expectedWh(rs, from, to) {
  let ws = 0;
  for (let i = 1; i < rs.length; i++) {
    const a = rs[i - 1], b = rs[i];
    const dt = b.at - a.at;
    if (dt <= 0 || dt > MAX_GAP_MS) continue;
    const lo = Math.max(a.at, from), hi = Math.min(b.at, to);
    if (hi <= lo) continue;
    const w = (t) => a.solar_w + ((b.solar_w - a.solar_w) * (t - a.at)) / dt;
    ws += ((w(lo) + w(hi)) / 2) * ((hi - lo) / 1000);
  }
  return ws / 3600;
}

const dbTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function insertSql(rs) {
  const values = rs.map((r) => `(${r.soc}, ${r.solar_w}, ${r.lux}, '${dbTime(r.at)}')`);
  return `INSERT INTO sun_data_realtime (soc, solar_w, lux, created_at) VALUES ${values.join(',\n')};\n`;
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

for (const kind of ['sqlite', 'mysql']) {
  describe(`history on ${kind}`, () => {
    const readings = dayOfReadings();
    let dir, env, server, mysql, database;

    const aggregate = async () => {
      const { stdout } = await run(solgridBin, ['aggregate'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      return stdout;
    };

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'solgrid-history-'));
      if (kind === 'mysql') {
        mysql = sharedMysql();
        database = uniqueDatabase();
        env = solgridEnv(mysql, database);
      } else {
        env = { DB_PATH: path.join(dir, 'solgrid.db') };
      }
      env = { ...env, HISTORY_MAX_ROWS: '1000', BATTERY_CAPACITY_WH: '12000' };
      // First run: creates the database and its schema; nothing to roll up.
      assert.match(await aggregate(), /0 hour\(s\) rolled up/);
      const sql = insertSql(readings);
      if (kind === 'mysql') await mysqlQuery(mysql, sql, database);
      else execFileSync('sqlite3', [env.DB_PATH], { input: sql });
    });

    after(async () => {
      await server?.stop();
      if (kind === 'mysql' && database) await dropDatabase(mysql, database);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('solgrid aggregate rolls a day up into 24 hours, once', async () => {
      assert.match(await aggregate(), /24 hour\(s\) rolled up, 0 already done, 0 open/);
      assert.match(await aggregate(), /0 hour\(s\) rolled up, 0 already done, 0 open/);
    });

    test('hourly rows carry the energy computed independently here', async () => {
      server = await startServer({ env, dir });
      const q = `from=${new Date(DAY).toISOString()}&to=${new Date(DAY + 24 * HOUR - 1).toISOString()}`;
      const r = await getJson(`${server.url}/api/data/history?${q}&resolution=hour`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.success, true);
      assert.equal(r.json.data.resolution, 'hour');
      assert.equal(r.json.data.count, 24);
      const rows = r.json.data.rows;
      assert.equal(rows.length, 24);
      let total = 0;
      rows.forEach((row, h) => {
        const start = DAY + h * HOUR;
        assert.equal(row.timestamp, new Date(start).toISOString());
        const inHour = readings.filter((x) => x.at >= start && x.at < start + HOUR);
        assert.equal(row.samples, inHour.length, `hour ${h}`);
        assert.equal(row.soc_min, Math.min(...inHour.map((x) => x.soc)));
        assert.equal(row.soc_max, Math.max(...inHour.map((x) => x.soc)));
        assert.ok(Math.abs(row.soc_avg - inHour.reduce((s, x) => s + x.soc, 0) / inHour.length) < 1e-9);
        assert.equal(row.solar_w_max, Math.max(...inHour.map((x) => x.solar_w)));
        assert.equal(row.lux_max, Math.max(...inHour.map((x) => x.lux)));
        const want = expectedWh(readings, start, start + HOUR);
        assert.ok(Math.abs(row.solar_wh - want) < 1e-6, `hour ${h}: ${row.solar_wh} Wh, expected ${want}`);
        total += row.solar_wh;
      });
      assert.ok(Math.abs(total - expectedWh(readings, DAY, DAY + 24 * HOUR)) < 1e-6);
      assert.ok(total > 1000, `a sunny day yields energy (${total} Wh)`);

      const day = await getJson(`${server.url}/api/data/history?${q}&resolution=day`);
      assert.equal(day.status, 200, day.text);
      assert.equal(day.json.data.rows.length, 1);
      assert.equal(day.json.data.rows[0].timestamp, new Date(DAY).toISOString());
      assert.equal(day.json.data.rows[0].samples, readings.length);
      assert.ok(Math.abs(day.json.data.rows[0].solar_wh - total) < 1e-6);
    });

    test('raw rows are the readings in the range, oldest first', async () => {
      const from = DAY + 9 * HOUR, to = DAY + 10 * HOUR;
      const want = readings.filter((x) => x.at >= from && x.at <= to);
      const r = await getJson(`${server.url}/api/data/history?from=${new Date(from).toISOString()}`
        + `&to=${new Date(to).toISOString()}&resolution=raw`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.data.resolution, 'raw');
      assert.deepEqual(r.json.data.rows, want.map((x) => ({
        timestamp: new Date(x.at).toISOString(), soc: x.soc, solar_w: x.solar_w, lux: x.lux,
      })));
      // The same range with zone offsets, '+' left unencoded as people type it.
      const local = (ms) => new Date(ms + 9 * HOUR).toISOString().slice(0, 19) + '+09:00';
      const k = await getJson(`${server.url}/api/data/history?from=${local(from)}&to=${local(to)}`);
      assert.equal(k.status, 200, k.text);
      assert.equal(k.json.data.from, new Date(from).toISOString());
      assert.equal(k.json.data.rows.length, want.length);
    });

    test('CSV: a download with a header row, the same columns and plain numbers', async () => {
      const q = `from=${new Date(DAY).toISOString()}&to=${new Date(DAY + 24 * HOUR - 1).toISOString()}`;
      const json = await getJson(`${server.url}/api/data/history?${q}&resolution=hour`);
      const res = await fetch(`${server.url}/api/data/history?${q}&resolution=hour&format=csv`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(res.headers.get('content-disposition'),
        `attachment; filename="solgrid-history-hour-${compact(DAY)}-${compact(DAY + 24 * HOUR - 1)}.csv"`);
      const text = await res.text();
      assert.ok(text.endsWith('\r\n'));
      const lines = text.slice(0, -2).split('\r\n');
      const header = lines[0].split(',');
      assert.deepEqual(header, ['timestamp', 'samples', 'soc_avg', 'soc_min', 'soc_max', 'solar_w_avg',
        'solar_w_max', 'solar_wh', 'lux_avg', 'lux_max']);
      assert.equal(lines.length, 25);
      lines.slice(1).forEach((line, i) => {
        const cells = line.split(',');
        assert.equal(cells.length, header.length);
        const row = json.json.data.rows[i];
        assert.equal(cells[0], row.timestamp);
        cells.slice(1).forEach((c, k) => {
          assert.match(c, PLAIN_NUMBER, `cell ${header[k + 1]} = ${c}`);
          assert.ok(Math.abs(Number(c) - row[header[k + 1]]) < 1e-9);
        });
      });
      // Accept: text/csv asks for the same thing; raw rows too.
      const raw = await fetch(`${server.url}/api/data/history?from=${new Date(DAY).toISOString()}`
        + `&to=${new Date(DAY + HOUR).toISOString()}`, { headers: { Accept: 'text/csv' } });
      assert.equal(raw.status, 200);
      assert.match(raw.headers.get('content-type'), /^text\/csv/);
      const rawLines = (await raw.text()).trim().split('\r\n');
      assert.equal(rawLines[0], 'timestamp,soc,solar_w,lux');
      for (const l of rawLines.slice(1)) for (const c of l.split(',').slice(1)) assert.match(c, PLAIN_NUMBER);
    });

    test('bad parameters are 400s that name the parameter; too many rows is a 400 with the limit', async () => {
      const cases = [
        ['from=yesterday', 'from'],
        ['to=2025-13-01', 'to'],
        ['resolution=minute', 'resolution'],
        ['format=xml', 'format'],
        [`from=${new Date(DAY + HOUR).toISOString()}&to=${new Date(DAY).toISOString()}`, 'from'],
      ];
      for (const [query, field] of cases) {
        const r = await getJson(`${server.url}/api/data/history?${query}`);
        assert.equal(r.status, 400, query);
        assert.equal(r.json.success, false);
        assert.equal(r.json.field, field, query);
        assert.ok(r.json.error.includes(field), r.json.error);
      }
      const big = await getJson(`${server.url}/api/data/history?from=${new Date(DAY).toISOString()}`
        + `&to=${new Date(DAY + 24 * HOUR).toISOString()}&resolution=raw`);
      assert.equal(big.status, 400);
      assert.equal(big.json.limit, 1000);
      assert.match(big.json.error, /more than 1000 raw rows/);
    });

    test('live readings: the open hour is computed on the fly; the summary counts today', async () => {
      const posted = [];
      for (const soc of [61, 64, 62]) {
        const r = await postJson(`${server.url}/api/data/solar`, { soc, solar_w: 100, lux: 5000 });
        assert.equal(r.status, 201, r.text);
        posted.push(r.json.data);
      }
      const hour = await getJson(`${server.url}/api/data/history?resolution=hour`);  // the last 24 h
      assert.equal(hour.status, 200, hour.text);
      const last = hour.json.data.rows.at(-1);
      assert.ok(last, 'the current hour has a row');
      assert.ok(last.samples >= 3);

      const s = await getJson(`${server.url}/api/energy/summary`);
      assert.equal(s.status, 200, s.text);
      const d = s.json.data;
      assert.equal(d.battery_capacity_wh, 12000);
      assert.equal(d.soc, 62);
      assert.equal(d.battery_wh, 62 / 100 * 12000);
      assert.equal(d.last_reading_at, posted.at(-1).timestamp);
      assert.equal(d.utc_offset_hours, 0);
      assert.ok(d.samples_today >= 3);
      assert.ok(d.soc_min_today <= 61 && d.soc_max_today >= 64);
      assert.equal(typeof d.solar_wh_today, 'number');
      assert.equal(d.day_start, new Date(Math.floor(Date.now() / 86400e3) * 86400e3).toISOString());
    });
  });
}
