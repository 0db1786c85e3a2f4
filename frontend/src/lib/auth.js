// Access control as the dashboard sees it: what GET /api/auth/me means, who may use which
// control, and what a failed login says. Pure: no fetch, no React, no storage.
//
// Auth status:
//   'checking' — GET /api/auth/me not answered yet
//   'unknown'  — no auth answer (backend unreachable, or an older backend without the
//                route): the app runs as before (virtual mode while no socket connects)
//   'off'      — the backend runs with AUTH=off: everything open, a warning banner
//   'user'     — logged in as `user` {username, role, household}
//   'login'    — the backend wants a login (401): the login page
//   'guest'    — not logged in, but the backend reads publicly (PUBLIC_READ: its 401 says
//                public_read): the dashboard read-only, with a "log in" button

import { HOUSEHOLDS } from '../state/normalize.js';

export const ROLES = ['admin', 'operator', 'household', 'viewer'];

// fetchJson's answer to GET /api/auth/me → the next auth state. `prev` is kept when a
// re-check gets no answer (a network blip must not log anyone out or in).
export function authFromMe(res, prev = { status: 'checking', user: null }) {
  if (res.ok) {
    const body = res.data && typeof res.data === 'object' ? res.data : {};
    if (body.auth === 'off') return { status: 'off', user: null };
    if (typeof body.username === 'string' && ROLES.includes(body.role)) {
      const household = body.role === 'household' && HOUSEHOLDS.includes(body.household) ? body.household : null;
      return { status: 'user', user: { username: body.username, role: body.role, household } };
    }
    return prev.status === 'checking' ? { status: 'unknown', user: null } : prev;
  }
  if (res.kind === 'http' && res.status === 401) {
    // A guest who asked for the login page stays there.
    if (res.data?.public_read === true && prev.status !== 'login') return { status: 'guest', user: null };
    return { status: 'login', user: null };
  }
  return prev.status === 'checking' ? { status: 'unknown', user: null } : prev;
}

// May the current principal switch household `h`'s relay? → { allowed, reason, vars }
// (reason: an i18n key saying why not). Without access control (AUTH=off, or no answer
// from the backend, where switches are virtual) everything stays enabled as before.
export function relayPermission(auth, h) {
  if (auth?.status === 'guest') return { allowed: false, reason: 'auth.guest' };
  if (!auth || auth.status !== 'user' || !auth.user) return { allowed: true };
  const { role, household } = auth.user;
  if (role === 'admin' || role === 'operator') return { allowed: true };
  if (role === 'household') {
    return household === h
      ? { allowed: true }
      : { allowed: false, reason: 'auth.onlyOwnRelay', vars: { own: household ?? '?', h } };
  }
  return { allowed: false, reason: 'auth.readOnly' };
}

// The households whose switch the principal may use (for tests and summaries).
export function switchableHouseholds(auth) {
  return HOUSEHOLDS.filter((h) => relayPermission(auth, h).allowed);
}

export function isAdmin(auth) {
  return auth?.status === 'user' && auth.user?.role === 'admin';
}

// i18n key and vars for a role, e.g. household B → ('role.household', {h: 'B'}).
export function roleLabel(user) {
  if (!user) return { key: 'role.none' };
  if (user.role === 'household') return { key: 'role.household', vars: { h: user.household ?? '?' } };
  return { key: ROLES.includes(user.role) ? `role.${user.role}` : 'role.none' };
}

// Retry-After (RFC 9110): delay-seconds or an HTTP-date → whole seconds ≥ 1, or null when
// missing or unreadable.
export function parseRetryAfter(value, nowMs = Date.now()) {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  if (s === '') return null;
  if (/^\d+$/.test(s)) return Math.max(1, Number(s));
  // HTTP-date forms name a month and a time of day (Date.parse alone takes "-5" for a year).
  if (!/[A-Za-z]{3}/.test(s) || !/\d{2}:\d{2}:\d{2}/.test(s)) return null;
  const at = Date.parse(s);
  if (!Number.isFinite(at)) return null;
  return Math.max(1, Math.ceil((at - nowMs) / 1000));
}

// fetchJson's answer to POST /api/auth/login → what the login page says:
// { key, vars } (an i18n key) or null on success.
export function loginError(res, nowMs = Date.now()) {
  if (res.ok) return null;
  if (res.kind === 'timeout') return { key: 'login.timeout' };
  if (res.kind === 'network') return { key: 'login.network' };
  if (res.status === 401) return { key: 'login.invalid' };
  if (res.status === 429) {
    const s = parseRetryAfter(res.headers?.get?.('Retry-After'), nowMs);
    return s === null ? { key: 'login.tooManyNoTime' } : { key: 'login.tooMany', vars: { s } };
  }
  if (res.status === 400) return { key: 'login.missing' };
  return { key: 'login.failed', vars: { status: res.status, error: res.data?.error ?? '' } };
}

// A failed API call as one line of text for the admin page: "HTTP 409 — user exists (username)".
export function apiErrorText(res, t) {
  if (res.ok) return '';
  if (res.kind === 'timeout') return t('api.timeout');
  if (res.kind === 'network') return t('api.network');
  const err = res.data?.error ? ` — ${res.data.error}` : '';
  const field = res.data?.field ? ` (${res.data.field})` : '';
  if (res.status === 403) return `${t('api.forbidden')}${err}`;
  if (res.status === 401) return `${t('api.unauthorized')}${err}`;
  return `HTTP ${res.status}${err}${field}`;
}

// <input type="datetime-local"> works in local wall time without a zone; the API wants
// ISO-8601 instants.
const pad = (n) => String(n).padStart(2, '0');
export function toLocalInput(date) {
  const d = date instanceof Date ? date : new Date(date);
  if (!Number.isFinite(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function localInputToIso(value) {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const d = new Date(value); // no zone designator: parsed as local time
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

// The audit page's default range: the last 24 h up to the next minute (so entries written
// in the current minute are included).
export function defaultAuditRange(nowMs = Date.now()) {
  const to = new Date(Math.ceil((nowMs + 1) / 60000) * 60000);
  const from = new Date(to.getTime() - 24 * 3600 * 1000);
  return { from: toLocalInput(from), to: toLocalInput(to) };
}

export function auditPath(fromIso, toIso) {
  const q = new URLSearchParams();
  if (fromIso) q.set('from', fromIso);
  if (toIso) q.set('to', toIso);
  const s = q.toString();
  return s ? `/api/audit?${s}` : '/api/audit';
}

// New-user form → the POST /api/users body, or { error: i18n key, field } for what the
// form can tell before asking the server.
export function newUserBody({ username, password, role, household }) {
  const name = String(username ?? '').trim();
  if (!name) return { error: 'admin.needUsername', field: 'username' };
  if (!password) return { error: 'admin.needPassword', field: 'password' };
  if (!ROLES.includes(role)) return { error: 'admin.needRole', field: 'role' };
  if (role === 'household' && !HOUSEHOLDS.includes(household)) return { error: 'admin.needHousehold', field: 'household' };
  return { body: { username: name, password, role, household: role === 'household' ? household : null } };
}
