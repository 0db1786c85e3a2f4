import { useRef, useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { fetchJson } from '../../lib/api.js';
import { apiErrorText } from '../../lib/auth.js';
import { fmtTime } from '../../lib/format.js';
import StatusLine from './StatusLine.jsx';
import { useApiList } from './useApiList.js';

// Admin: device tokens (GET/POST /api/devices, DELETE /api/devices/{name}). A new token
// is shown once, in this component's memory only, until "Done".
export default function Devices() {
  const { t, locale } = useI18n();
  const list = useApiList('/api/devices', (d) => d?.devices);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState(null); // { name, token } just created
  const [msg, setMsg] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [busy, setBusy] = useState(false);

  async function add(e) {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setMsg({ ok: false, text: t('admin.needDeviceName') });
    setBusy(true);
    const res = await fetchJson('/api/devices', { method: 'POST', body: { name: n } });
    setBusy(false);
    if (res.ok && typeof res.data?.token === 'string') {
      setFresh({ name: res.data.name ?? n, token: res.data.token });
      setName('');
      setMsg(null);
      list.reload();
    } else {
      setMsg({ ok: false, text: apiErrorText(res, t) });
    }
  }

  async function revoke(n) {
    setConfirming(null);
    setBusy(true);
    const res = await fetchJson(`/api/devices/${encodeURIComponent(n)}`, { method: 'DELETE' });
    setBusy(false);
    setMsg(res.ok ? { ok: true, text: t('admin.deviceRevoked', { name: n }) } : { ok: false, text: apiErrorText(res, t) });
    if (res.ok) list.reload();
  }

  const when = (iso) => (iso ? fmtTime(iso, locale) : t('admin.never'));
  const loadError = list.res ? apiErrorText(list.res, t) : '';
  return (
    <section className="card admin-section" data-testid="admin-devices" aria-labelledby="admin-devices-title">
      <div className="section-head">
        <h2 id="admin-devices-title">{t('admin.devices')}</h2>
        <button type="button" className="btn small" onClick={list.reload} disabled={list.loading}>{t('admin.reload')}</button>
      </div>
      {fresh && <TokenOnce fresh={fresh} onDone={() => setFresh(null)} />}
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr><th>{t('admin.deviceName')}</th><th>{t('admin.created')}</th><th>{t('admin.lastUsed')}</th><th>{t('admin.revoked')}</th><th>{t('admin.actions')}</th></tr>
          </thead>
          <tbody>
            {list.items.map((d) => {
              const revoked = Boolean(d.revoked_at);
              return (
                <tr key={`${d.name}@${d.created_at}`} data-testid={`device-row-${d.name}`} data-revoked={revoked ? 'true' : 'false'}>
                  <td className="mono">{d.name}</td>
                  <td className="num">{when(d.created_at)}</td>
                  <td className="num">{when(d.last_used_at)}</td>
                  <td className="num">{revoked ? fmtTime(d.revoked_at, locale) : <span className="tag tag-ok">{t('admin.active')}</span>}</td>
                  <td className="row-actions">
                    {!revoked && (confirming === d.name ? (
                      <>
                        <button type="button" className="btn small danger" disabled={busy} data-testid={`device-revoke-confirm-${d.name}`} onClick={() => revoke(d.name)}>
                          {t('admin.confirmRevoke', { name: d.name })}
                        </button>
                        <button type="button" className="btn small" onClick={() => setConfirming(null)}>{t('admin.cancel')}</button>
                      </>
                    ) : (
                      <button type="button" className="btn small danger" data-testid={`device-revoke-${d.name}`} onClick={() => setConfirming(d.name)}>
                        {t('admin.revoke')}
                      </button>
                    ))}
                  </td>
                </tr>
              );
            })}
            {!list.loading && !list.items.length && !loadError && (
              <tr><td colSpan={5} className="muted">{t('admin.empty')}</td></tr>
            )}
          </tbody>
        </table>
      </div>
      {list.loading && <p className="muted">{t('admin.loading')}</p>}
      <form className="admin-form" onSubmit={add} noValidate>
        <label className="field">
          <span>{t('admin.deviceName')}</span>
          <input data-testid="device-add-name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="btn primary" data-testid="device-add-submit" disabled={busy}>{t('admin.addDevice')}</button>
      </form>
      <StatusLine testId="admin-devices-error" loadError={loadError} msg={msg} />
    </section>
  );
}

// The token of a device just created, with a copy button; never fetched again.
function TokenOnce({ fresh, onDone }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(null); // null | 'ok' | 'failed'
  const inputRef = useRef(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(fresh.token);
      setCopied('ok');
    } catch {
      // No clipboard API (e.g. plain http on another host): select it for a manual copy.
      inputRef.current?.select();
      let ok = false;
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      setCopied(ok ? 'ok' : 'failed');
    }
  }

  return (
    <div className="token-once" data-testid="device-token-once" role="status">
      <div className="token-title">{t('admin.tokenTitle', { name: fresh.name })}</div>
      <div className="token-row">
        <input
          ref={inputRef}
          className="mono token-value"
          data-testid="device-token-value"
          readOnly
          value={fresh.token}
          onFocus={(e) => e.target.select()}
          aria-label={t('admin.tokenTitle', { name: fresh.name })}
        />
        <button type="button" className="btn small primary" data-testid="device-token-copy" onClick={copy}>
          {copied === 'ok' ? t('admin.copied') : t('admin.copy')}
        </button>
      </div>
      <p className="token-note">{copied === 'failed' ? t('admin.copyFailed') : t('admin.tokenOnce')}</p>
      <button type="button" className="btn small" data-testid="device-token-dismiss" onClick={onDone}>{t('admin.done')}</button>
    </div>
  );
}
