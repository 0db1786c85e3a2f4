import { useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { fetchJson } from '../../lib/api.js';
import { apiErrorText, newUserBody, roleLabel, ROLES } from '../../lib/auth.js';
import { fmtTime } from '../../lib/format.js';
import { useAuth } from '../../state/AuthProvider.jsx';
import { HOUSEHOLDS } from '../../state/normalize.js';
import StatusLine from './StatusLine.jsx';
import { useApiList } from './useApiList.js';

// Admin: the users (GET/POST /api/users, POST /api/users/{name}/password,
// DELETE /api/users/{name}). API errors are shown in the section.
export default function Users() {
  const { t, locale } = useI18n();
  const { user: me } = useAuth();
  const list = useApiList('/api/users', (d) => d?.users);
  const [msg, setMsg] = useState(null); // { ok: bool, text }
  const [editing, setEditing] = useState(null); // { name, password }
  const [confirming, setConfirming] = useState(null); // username
  const [busy, setBusy] = useState(false);

  async function run(request, okText) {
    setBusy(true);
    const res = await request();
    setBusy(false);
    setMsg(res.ok ? { ok: true, text: okText } : { ok: false, text: apiErrorText(res, t) });
    if (res.ok) list.reload();
    return res.ok;
  }

  async function changePassword(e) {
    e.preventDefault();
    if (!editing.password) return setMsg({ ok: false, text: t('admin.needPassword') });
    const { name, password } = editing;
    const ok = await run(
      () => fetchJson(`/api/users/${encodeURIComponent(name)}/password`, { method: 'POST', body: { password } }),
      t('admin.passwordChanged', { name }),
    );
    if (ok) setEditing(null);
  }

  async function remove(name) {
    setConfirming(null);
    await run(() => fetchJson(`/api/users/${encodeURIComponent(name)}`, { method: 'DELETE' }), t('admin.userRemoved', { name }));
  }

  const loadError = list.res ? apiErrorText(list.res, t) : '';
  return (
    <section className="card admin-section" data-testid="admin-users" aria-labelledby="admin-users-title">
      <div className="section-head">
        <h2 id="admin-users-title">{t('admin.users')}</h2>
        <button type="button" className="btn small" onClick={list.reload} disabled={list.loading}>{t('admin.reload')}</button>
      </div>
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr><th>{t('admin.username')}</th><th>{t('admin.role')}</th><th>{t('admin.created')}</th><th>{t('admin.actions')}</th></tr>
          </thead>
          <tbody>
            {list.items.map((u) => {
              const role = roleLabel(u);
              const self = me?.username === u.username;
              return (
                <tr key={u.username} data-testid={`user-row-${u.username}`} data-role={u.role} data-household={u.household ?? ''}>
                  <td className="mono">{u.username} {self && <span className="muted">{t('admin.you')}</span>}</td>
                  <td>{t(role.key, role.vars)}</td>
                  <td className="num">{u.created_at ? fmtTime(u.created_at, locale) : '—'}</td>
                  <td className="row-actions">
                    {editing?.name === u.username ? (
                      <form className="inline-form" onSubmit={changePassword}>
                        <input
                          type="password"
                          autoComplete="new-password"
                          aria-label={t('admin.newPassword')}
                          placeholder={t('admin.newPassword')}
                          data-testid={`user-password-${u.username}`}
                          value={editing.password}
                          onChange={(e) => setEditing({ ...editing, password: e.target.value })}
                          autoFocus
                        />
                        <button type="submit" className="btn small primary" disabled={busy} data-testid={`user-password-save-${u.username}`}>{t('admin.save')}</button>
                        <button type="button" className="btn small" onClick={() => setEditing(null)}>{t('admin.cancel')}</button>
                      </form>
                    ) : confirming === u.username ? (
                      <>
                        <button type="button" className="btn small danger" disabled={busy} data-testid={`user-remove-confirm-${u.username}`} onClick={() => remove(u.username)}>
                          {t('admin.confirmRemove', { name: u.username })}
                        </button>
                        <button type="button" className="btn small" onClick={() => setConfirming(null)}>{t('admin.cancel')}</button>
                      </>
                    ) : (
                      <>
                        <button type="button" className="btn small" data-testid={`user-password-open-${u.username}`} onClick={() => { setConfirming(null); setEditing({ name: u.username, password: '' }); }}>
                          {t('admin.changePassword')}
                        </button>
                        <button
                          type="button"
                          className="btn small danger"
                          data-testid={`user-remove-${u.username}`}
                          disabled={self}
                          title={self ? t('admin.cannotRemoveSelf') : undefined}
                          onClick={() => { setEditing(null); setConfirming(u.username); }}
                        >
                          {t('admin.remove')}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
            {!list.loading && !list.items.length && !loadError && (
              <tr><td colSpan={4} className="muted">{t('admin.empty')}</td></tr>
            )}
          </tbody>
        </table>
      </div>
      {list.loading && <p className="muted">{t('admin.loading')}</p>}
      <AddUser busy={busy} onAdd={(body) => run(() => fetchJson('/api/users', { method: 'POST', body }), t('admin.userAdded', { name: body.username }))} onInvalid={(text) => setMsg({ ok: false, text })} />
      <StatusLine testId="admin-users-error" loadError={loadError} msg={msg} />
    </section>
  );
}

function AddUser({ busy, onAdd, onInvalid }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ username: '', password: '', role: 'household', household: 'A' });
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });

  async function submit(e) {
    e.preventDefault();
    const checked = newUserBody(form);
    if (checked.error) return onInvalid(t(checked.error));
    if (await onAdd(checked.body)) setForm({ ...form, username: '', password: '' });
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate>
      <h3>{t('admin.addUser')}</h3>
      <label className="field">
        <span>{t('admin.username')}</span>
        <input data-testid="user-add-username" autoComplete="off" value={form.username} onChange={set('username')} />
      </label>
      <label className="field">
        <span>{t('admin.password')}</span>
        <input data-testid="user-add-password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} />
      </label>
      <label className="field">
        <span>{t('admin.role')}</span>
        <select data-testid="user-add-role" value={form.role} onChange={set('role')}>
          {ROLES.map((r) => <option key={r} value={r}>{r === 'household' ? t('admin.roleHousehold') : t(`role.${r}`)}</option>)}
        </select>
      </label>
      {form.role === 'household' && (
        <label className="field">
          <span>{t('admin.household')}</span>
          <select data-testid="user-add-household" value={form.household} onChange={set('household')}>
            {HOUSEHOLDS.map((h) => <option key={h} value={h}>{h}</option>)}
          </select>
        </label>
      )}
      <button type="submit" className="btn primary" data-testid="user-add-submit" disabled={busy}>{t('admin.add')}</button>
    </form>
  );
}
