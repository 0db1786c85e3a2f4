import { describe, expect, test } from 'vitest';
import { translate } from '../i18n/strings.js';
import {
  apiErrorText, auditPath, authFromMe, defaultAuditRange, isAdmin, localInputToIso, loginError, newUserBody,
  parseRetryAfter, relayPermission, roleLabel, switchableHouseholds, toLocalInput,
} from './auth.js';

const ok = (data) => ({ ok: true, status: 200, data });
const http = (status, data = null, headers = {}) => ({ ok: false, kind: 'http', status, data, headers: new Headers(headers) });
const asUser = (role, household = null) => ({ status: 'user', user: { username: 'u', role, household } });

describe('authFromMe', () => {
  test('AUTH=off, a user, 401', () => {
    expect(authFromMe(ok({ auth: 'off', username: null, role: 'admin', household: null }))).toEqual({ status: 'off', user: null });
    expect(authFromMe(ok({ auth: 'on', username: 'bee', role: 'household', household: 'B' })))
      .toEqual({ status: 'user', user: { username: 'bee', role: 'household', household: 'B' } });
    expect(authFromMe(ok({ auth: 'on', username: 'op', role: 'operator', household: null })).user.household).toBeNull();
    expect(authFromMe(http(401, { success: false, error: 'not logged in' }))).toEqual({ status: 'login', user: null });
  });
  test('the login answer (no auth field) is a user too', () => {
    expect(authFromMe(ok({ username: 'admin', role: 'admin', household: null })).status).toBe('user');
  });
  test('no answer on load → unknown (the seed behaviour: virtual mode when unreachable)', () => {
    expect(authFromMe({ ok: false, kind: 'network' })).toEqual({ status: 'unknown', user: null });
    expect(authFromMe(http(404))).toEqual({ status: 'unknown', user: null });
    expect(authFromMe(ok({ role: 'wizard', username: 'x' }))).toEqual({ status: 'unknown', user: null });
  });
  test('no answer on a re-check keeps who we were', () => {
    const prev = asUser('viewer');
    expect(authFromMe({ ok: false, kind: 'timeout' }, prev)).toBe(prev);
    expect(authFromMe(http(503), prev)).toBe(prev);
    expect(authFromMe(http(401), prev).status).toBe('login');
  });
});

describe('relayPermission', () => {
  test('admin and operator switch everything', () => {
    expect(switchableHouseholds(asUser('admin'))).toEqual(['A', 'B', 'C', 'D']);
    expect(switchableHouseholds(asUser('operator'))).toEqual(['A', 'B', 'C', 'D']);
  });
  test('a household switches its own letter only, and is told why not the others', () => {
    const b = asUser('household', 'B');
    expect(switchableHouseholds(b)).toEqual(['B']);
    const why = relayPermission(b, 'A');
    expect(why.allowed).toBe(false);
    expect(translate('en', why.reason, why.vars)).toBe('Household B may switch household B only (not A)');
  });
  test('a viewer switches nothing; a household without a letter nothing', () => {
    expect(switchableHouseholds(asUser('viewer'))).toEqual([]);
    expect(relayPermission(asUser('viewer'), 'C').reason).toBe('auth.readOnly');
    expect(switchableHouseholds(asUser('household', null))).toEqual([]);
    expect(switchableHouseholds(asUser('nobody'))).toEqual([]);
  });
  test('without access control everything stays enabled (AUTH=off, no backend, still checking)', () => {
    for (const status of ['off', 'unknown', 'checking']) expect(switchableHouseholds({ status, user: null })).toEqual(['A', 'B', 'C', 'D']);
  });
  test('isAdmin only for a logged-in admin (not AUTH=off)', () => {
    expect(isAdmin(asUser('admin'))).toBe(true);
    expect(isAdmin(asUser('operator'))).toBe(false);
    expect(isAdmin({ status: 'off', user: null })).toBe(false);
  });
  test('role labels carry the household letter', () => {
    const l = roleLabel({ role: 'household', household: 'C' });
    expect(translate('ko', l.key, l.vars)).toBe('C 가구');
    expect(translate('en', roleLabel({ role: 'admin' }).key)).toBe('Admin');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  test('delay-seconds', () => {
    expect(parseRetryAfter('37', now)).toBe(37);
    expect(parseRetryAfter(' 900 ', now)).toBe(900);
    expect(parseRetryAfter('0', now)).toBe(1);
  });
  test('an HTTP-date', () => {
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(1);
  });
  test('missing or unreadable → null', () => {
    for (const v of [null, undefined, '', 'soon', '-5', '1.5']) expect(parseRetryAfter(v, now)).toBeNull();
  });
});

describe('loginError', () => {
  test('401 → invalid username or password, in both languages', () => {
    const e = loginError(http(401, { success: false, error: 'invalid username or password' }));
    expect(translate('en', e.key, e.vars)).toBe('Invalid username or password.');
    expect(translate('ko', e.key, e.vars)).toBe('아이디 또는 비밀번호가 올바르지 않습니다.');
  });
  test('429 → too many attempts with the seconds from Retry-After', () => {
    const e = loginError(http(429, { success: false, error: 'too many attempts' }, { 'Retry-After': '42' }));
    expect(translate('en', e.key, e.vars)).toBe('Too many attempts, try again in 42 s.');
    expect(translate('ko', e.key, e.vars)).toBe('시도 횟수가 너무 많습니다. 42초 후에 다시 시도하세요.');
    expect(loginError(http(429)).key).toBe('login.tooManyNoTime');
  });
  test('success, no answer, other statuses', () => {
    expect(loginError(ok({ username: 'a', role: 'admin' }))).toBeNull();
    expect(loginError({ ok: false, kind: 'network' }).key).toBe('login.network');
    expect(loginError({ ok: false, kind: 'timeout' }).key).toBe('login.timeout');
    expect(loginError(http(400, { error: 'username missing' })).key).toBe('login.missing');
    const e = loginError(http(500, { error: 'storage unavailable' }));
    expect(translate('en', e.key, e.vars)).toBe('Could not log in (HTTP 500) storage unavailable');
  });
});

describe('admin helpers', () => {
  const t = (k, v) => translate('en', k, v);
  test('apiErrorText names status, error and field', () => {
    expect(apiErrorText(http(409, { success: false, error: 'user exists', field: 'username' }), t)).toBe('HTTP 409 — user exists (username)');
    expect(apiErrorText(http(403, { success: false, error: 'admin only' }), t)).toBe('Not allowed (HTTP 403) — admin only');
    expect(apiErrorText({ ok: false, kind: 'network' }, t)).toBe('Cannot reach the backend');
  });
  test('newUserBody checks the form and drops the household of other roles', () => {
    expect(newUserBody({ username: ' bee ', password: 'pw', role: 'household', household: 'B' }))
      .toEqual({ body: { username: 'bee', password: 'pw', role: 'household', household: 'B' } });
    expect(newUserBody({ username: 'op', password: 'pw', role: 'operator', household: 'B' }).body.household).toBeNull();
    expect(newUserBody({ username: '', password: 'pw', role: 'viewer' }).field).toBe('username');
    expect(newUserBody({ username: 'x', password: '', role: 'viewer' }).field).toBe('password');
    expect(newUserBody({ username: 'x', password: 'p', role: 'root' }).field).toBe('role');
    expect(newUserBody({ username: 'x', password: 'p', role: 'household', household: 'E' }).field).toBe('household');
  });
  test('datetime-local values round-trip through ISO instants (local time)', () => {
    const d = new Date(2026, 10, 29, 8, 5); // local 2026-11-29 08:05
    expect(toLocalInput(d)).toBe('2026-11-29T08:05');
    expect(localInputToIso('2026-11-29T08:05')).toBe(d.toISOString());
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('yesterday')).toBeNull();
  });
  test('default audit range: the 24 h up to the next whole minute', () => {
    const now = new Date(2026, 10, 29, 8, 5, 30).getTime();
    expect(defaultAuditRange(now)).toEqual({ from: '2026-11-28T08:06', to: '2026-11-29T08:06' });
    expect(auditPath('2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z'))
      .toBe('/api/audit?from=2026-11-28T00%3A00%3A00.000Z&to=2026-11-29T00%3A00%3A00.000Z');
  });
});

describe('PUBLIC_READ guests', () => {
  const publicNo = { ok: false, kind: 'http', status: 401, data: { success: false, error: 'not logged in', public_read: true } };
  const closedNo = { ok: false, kind: 'http', status: 401, data: { success: false, error: 'not logged in', public_read: false } };
  test('a 401 that says public_read makes a guest; one that does not asks for the login page', () => {
    expect(authFromMe(publicNo)).toEqual({ status: 'guest', user: null });
    expect(authFromMe(closedNo)).toEqual({ status: 'login', user: null });
  });
  test('a guest who chose the login page stays on it', () => {
    expect(authFromMe(publicNo, { status: 'login', user: null })).toEqual({ status: 'login', user: null });
  });
  test('guests see the switches, none enabled, with the reason', () => {
    const guest = { status: 'guest', user: null };
    for (const h of ['A', 'B', 'C', 'D']) expect(relayPermission(guest, h)).toEqual({ allowed: false, reason: 'auth.guest' });
    expect(switchableHouseholds(guest)).toEqual([]);
    expect(translate('en', 'auth.guest')).toMatch(/Log in/);
    expect(translate('ko', 'auth.guest')).toMatch(/로그인/);
  });
});
