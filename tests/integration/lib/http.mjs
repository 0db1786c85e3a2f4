// HTTP helpers for tests with logins (AUTH on): one exchange with optional
// credentials, a login, and an admin adding a user who then logs in.
import assert from 'node:assert/strict';
import http from 'node:http';

// One HTTP exchange; `cookie` and `token` add credentials, `origin` an Origin
// (default: the server's own for state-changing requests, as a browser does).
export function call(server, method, path, { body, cookie, token, origin, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (cookie) h.Cookie = cookie;
  if (token) h.Authorization = `Bearer ${token}`;
  if (origin === undefined && method !== 'GET') h.Origin = server.url;
  else if (origin) h.Origin = origin;
  return new Promise((resolve, reject) => {
    const req = http.request(server.url + path, { method, headers: h }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

export async function login(server, username, password) {
  const r = await call(server, 'POST', '/api/auth/login', { body: { username, password } });
  assert.equal(r.status, 200, r.text);
  const set = r.headers['set-cookie'][0];
  return { cookie: set.split(';')[0], setCookie: set, body: r.json };
}

// The admin adds `username` (password `<username>-password`), who logs in.
export async function addUser(server, admin, username, role, household) {
  const body = { username, password: `${username}-password`, role };
  if (household) body.household = household;
  const r = await call(server, 'POST', '/api/users', { body, cookie: admin.cookie });
  assert.equal(r.status, 201, r.text);
  return login(server, username, body.password);
}
