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
// interpolated there; segments longer than the gap limit carry nothing. (For
// readings about a minute apart the limit is AGGREGATE_MAX_GAP_S: 3 × the
// typical interval stays below it.)
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

// Seconds of [from, to) inside the segments expectedWh() joins.
function expectedCoverage(rs, from, to) {
  let ms = 0;
  for (let i = 1; i < rs.length; i++) {
    const a = rs[i - 1], b = rs[i];
    if (b.at - a.at <= 0 || b.at - a.at > MAX_GAP_MS) continue;
    ms += Math.max(0, Math.min(b.at, to) - Math.max(a.at, from));
  }
  return ms / 1000;
}

// A fresh database of `kind` for one suite: { env for solgrid, mysql, database }.
function freshStorage(kind, dir) {
  if (kind !== 'mysql') return { env: { DB_PATH: path.join(dir, 'solgrid.db') } };
  const mysql = sharedMysql();
  const database = uniqueDatabase();
  return { env: solgridEnv(mysql, database), mysql, database };
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
      ({ env, mysql, database } = freshStorage(kind, dir));
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
        const cover = expectedCoverage(readings, start, start + HOUR);
        assert.ok(Math.abs(row.coverage_s - cover) < 1e-6, `hour ${h}: coverage ${row.coverage_s}, expected ${cover}`);
        if (h === 13) assert.ok(row.coverage_s < 3600 - 20 * 60, 'the 25-minute hole is not covered');
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
      assert.ok(Math.abs(day.json.data.rows[0].coverage_s - expectedCoverage(readings, DAY, DAY + 24 * HOUR)) < 1e-6);
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
      // coverage_s (issue 11 A8) comes last: the older columns keep their places.
      assert.deepEqual(header, ['timestamp', 'samples', 'soc_avg', 'soc_min', 'soc_max', 'solar_w_avg',
        'solar_w_max', 'solar_wh', 'lux_avg', 'lux_max', 'coverage_s']);
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

    // Issue 11 A4: these answered 200 with from 1754…, to 1816… and no rows,
    // or a false "from must not be later than to"; +99:00 was accepted.
    test('dates outside 1678–2261 and zone offsets beyond ±14:00 are 400s naming the field', async () => {
      const range = '1678-01-01T00:00:00.000Z and 2261-12-31T23:59:59.999Z';
      const cases = [
        ['from=0001-01-01&to=9999-12-31', 'from', range],
        ['from=1600-01-01T00:00:00Z', 'from', range],
        [`from=1600-01-01T00:00:00Z&to=${new Date(DAY).toISOString()}`, 'from', range],
        ['to=2262-01-01T00:00:00Z', 'to', range],
        [`from=${new Date(DAY).toISOString()}&to=2262-06-01T00:00:00Z`, 'to', range],
        ['from=2025-12-01&to=9999-12-31', 'to', range],
        ['from=2025-12-01T00:00:00%2B99:00', 'from', '14:00'],
        ['from=2025-12-01T00:00:00+99:00', 'from', '14:00'],  // '+' unencoded, as typed
        ['from=2025-12-01T00:00:00+99:00', 'from', "(got '2025-12-01T00:00:00+99:00')"],
        ['to=2025-12-01T00:00:00-15:00', 'to', '14:00'],
        ['to=2025-12-01T00:00:00%2B14:01', 'to', '14:00'],
      ];
      for (const [query, field, says] of cases) {
        const r = await getJson(`${server.url}/api/data/history?${query}`);
        assert.equal(r.status, 400, `${query}: ${r.text}`);
        assert.equal(r.json.success, false);
        assert.equal(r.json.field, field, query);
        assert.ok(r.json.error.startsWith(field), r.json.error);
        assert.ok(r.json.error.includes(says), r.json.error);
      }
      // The widest range accepted finds the rows that exist.
      const end = DAY + 30 * 60e3;
      const wide = await getJson(`${server.url}/api/data/history?from=1678-01-01&to=${new Date(end).toISOString()}`);
      assert.equal(wide.status, 200, wide.text);
      assert.equal(wide.json.data.from, '1678-01-01T00:00:00.000Z');
      assert.equal(wide.json.data.count, readings.filter((x) => x.at <= end).length);
      assert.ok(wide.json.data.count > 0);
      // Offsets of ±14:00 exist (Kiribati, Baker Island) and are accepted.
      const k = await getJson(`${server.url}/api/data/history?from=${new Date(DAY + 14 * HOUR).toISOString().slice(0, 19)}%2B14:00`
        + `&to=${new Date(DAY - 14 * HOUR + HOUR).toISOString().slice(0, 19)}-14:00`);
      assert.equal(k.status, 200, k.text);
      assert.equal(k.json.data.from, new Date(DAY).toISOString());
      assert.equal(k.json.data.to, new Date(DAY + HOUR).toISOString());
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

// Issue 11 A8: an hour of constant 600 W readings taken every 10 minutes
// rolled up to 10 Wh (gaps over AGGREGATE_MAX_GAP_S were never bridged). A
// device reporting every 10 minutes is bridged; its 3 h outage is not.
for (const kind of ['sqlite', 'mysql']) {
  describe(`sparse readings on ${kind}`, () => {
    // Three days ago, every 10 min from 06:00 to 18:00, offline 09:30–12:30.
    const DAY3 = DAY - 24 * HOUR;
    const readings = [];
    for (let t = DAY3 + 6 * HOUR; t < DAY3 + 18 * HOUR; t += 10 * 60e3) {
      if (t >= DAY3 + 9.5 * HOUR && t < DAY3 + 12.5 * HOUR) continue;
      readings.push({ at: t, soc: 70, solar_w: 600, lux: 40000 });
    }
    let dir, env, server, mysql, database;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'solgrid-sparse-'));
      ({ env, mysql, database } = freshStorage(kind, dir));
      const aggregate = () => run(solgridBin, ['aggregate'], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
      await aggregate();  // creates the schema
      const sql = insertSql(readings);
      if (kind === 'mysql') await mysqlQuery(mysql, sql, database);
      else execFileSync('sqlite3', [env.DB_PATH], { input: sql });
      const { stdout } = await aggregate();
      // 06–09 and 12–17: the hours 10 and 11, wholly offline, hold no reading.
      assert.match(stdout, /10 hour\(s\) rolled up/);
      server = await startServer({ env, dir });
    });

    after(async () => {
      await server?.stop();
      if (kind === 'mysql' && database) await dropDatabase(mysql, database);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('each hour of 10-minute readings at 600 W holds 600 Wh; the outage is a hole', async () => {
      const q = `from=${new Date(DAY3).toISOString()}&to=${new Date(DAY3 + 24 * HOUR - 1).toISOString()}`;
      const r = await getJson(`${server.url}/api/data/history?${q}&resolution=hour`);
      assert.equal(r.status, 200, r.text);
      const byHour = new Map(r.json.data.rows.map((row) => [(Date.parse(row.timestamp) - DAY3) / HOUR, row]));
      assert.deepEqual([...byHour.keys()], [6, 7, 8, 9, 12, 13, 14, 15, 16, 17]);
      // Full hours, but 09:00–09:20 (last reading before the outage), 12:30–13:00
      // (first after it) and 17:00–17:50 (the last reading).
      const covered = { 9: 1200, 12: 1800, 17: 3000 };
      for (const [h, row] of byHour) {
        const want = covered[h] ?? 3600;
        assert.equal(row.coverage_s, want, `hour ${h}`);
        assert.ok(Math.abs(row.solar_wh - 600 * want / 3600) < 1e-9, `hour ${h}: ${row.solar_wh} Wh`);
      }
      assert.equal(byHour.get(7).solar_wh, 600);
      assert.equal(byHour.get(7).samples, 6);

      const day = await getJson(`${server.url}/api/data/history?${q}&resolution=day`);
      assert.equal(day.status, 200, day.text);
      assert.equal(day.json.data.rows.length, 1);
      const cover = 7 * 3600 + 1200 + 1800 + 3000;
      assert.equal(day.json.data.rows[0].coverage_s, cover);
      assert.ok(Math.abs(day.json.data.rows[0].solar_wh - 600 * cover / 3600) < 1e-9);

      const csv = await (await fetch(`${server.url}/api/data/history?${q}&resolution=hour&format=csv`)).text();
      const lines = csv.trim().split('\r\n');
      assert.equal(lines[0].split(',').at(-1), 'coverage_s');
      const seven = lines.find((l) => l.startsWith(new Date(DAY3 + 7 * HOUR).toISOString()));
      assert.equal(seven.split(',').at(-1), '3600');
      assert.equal(seven.split(',')[7], '600');
    });
  });
}
