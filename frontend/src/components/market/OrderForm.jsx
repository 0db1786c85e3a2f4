import { useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { apiErrorText } from '../../lib/auth.js';
import { amountOf, fmtMoney, orderBody } from '../../lib/market.js';
import { fmt } from '../../lib/format.js';

// The order form: side, Wh, price (the market's floor and ceiling shown), time in force,
// optional expiry. What the form can tell is checked here (the message names the field);
// the server's 400/409 answer is shown as it came. `household` is sent only when the
// principal names the account (admin/operator, AUTH=off, virtual mode).
export default function OrderForm({ info, household, sendHousehold, canTrade, place }) {
  const { t, locale } = useI18n();
  const [form, setForm] = useState({ side: 'buy', energy: '', price: '', tif: 'gtc', expires: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null); // { key, vars, field, source }
  const [done, setDone] = useState(null); // the accepted order
  const cur = info?.currency ?? 'KRW';
  const set = (k) => (e) => { setForm((f) => ({ ...f, [k]: e.target.value })); setError(null); setDone(null); };

  async function submit(e) {
    e.preventDefault();
    if (!info || busy) return;
    const r = orderBody(form, info, { household: sendHousehold ? household : null });
    if (r.error) {
      setError({ key: r.error, vars: r.vars, field: r.field, source: 'client' });
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    const res = await place(r.body);
    setBusy(false);
    if (res.ok) {
      const o = res.data?.order;
      if (o) setDone(o);
      setForm((f) => ({ ...f, energy: '' }));
    } else {
      setError({ key: 'market.serverError', vars: { reason: apiErrorText(res, t) }, field: res.data?.field ?? null, source: 'server' });
    }
  }

  const energy = Number(form.energy);
  const price = Number(form.price);
  const estimate = Number.isInteger(energy) && energy > 0 && Number.isInteger(price) && price > 0 ? amountOf(energy, price) : null;
  const bad = (field) => (error?.field === field ? 'true' : undefined);

  return (
    <form className="card order-form" data-testid="order-form" onSubmit={submit} noValidate>
      <h3 className="card-label">{t('market.orderForm')}</h3>
      {!canTrade && <p className="role-note">{t('market.readOnly')}</p>}
      <fieldset disabled={!canTrade || !info} className="order-fields">
        <label className="field">
          {t('market.side')}
          <select data-testid="order-side" value={form.side} onChange={set('side')} aria-invalid={bad('side')}>
            <option value="buy">{t('market.side.buy')}</option>
            <option value="sell">{t('market.side.sell')}</option>
          </select>
        </label>
        <label className="field">
          {t('market.energyWh')}
          <input data-testid="order-energy" inputMode="numeric" autoComplete="off" value={form.energy} onChange={set('energy')} aria-invalid={bad('energy_wh')} placeholder="500" />
        </label>
        <label className="field">
          {t('market.price', { cur })}
          <input data-testid="order-price" inputMode="numeric" autoComplete="off" value={form.price} onChange={set('price')} aria-invalid={bad('price')} placeholder={info ? String(info.price_floor) : ''} />
          <span className="field-hint" data-testid="order-price-bounds" data-min={info?.price_floor ?? ''} data-max={info?.price_ceiling ?? ''}>
            {info ? t('market.priceBounds', { min: fmt(info.price_floor, locale), max: fmt(info.price_ceiling, locale) }) : '\u00a0'}
          </span>
        </label>
        <label className="field">
          {t('market.tif')}
          <select data-testid="order-tif" value={form.tif} onChange={set('tif')} aria-invalid={bad('tif')}>
            <option value="gtc">{t('market.tif.gtc')}</option>
            <option value="ioc">{t('market.tif.ioc')}</option>
          </select>
        </label>
        <label className="field">
          {t('market.expires')}
          <input type="datetime-local" data-testid="order-expires" value={form.expires} onChange={set('expires')} aria-invalid={bad('expires_at')} />
        </label>
      </fieldset>
      <div className="order-submit-row">
        <span className="muted small num" data-testid="order-amount">
          {estimate !== null ? t('market.amount', { amount: fmtMoney(estimate, cur, locale) }) : ''}
        </span>
        <button type="submit" className={`btn primary side-${form.side}`} data-testid="order-submit" disabled={!canTrade || !info || busy}>
          {busy ? t('market.submitting') : t(`market.submit.${form.side}`)}
        </button>
      </div>
      <p className="error-line" data-testid="order-error" data-field={error?.field ?? ''} data-source={error?.source ?? ''} role="alert">
        {error ? t(error.key, error.vars) : ''}
      </p>
      <p className="ok-line" data-testid="order-result" data-order={done?.id ?? ''} data-status={done?.status ?? ''} role="status">
        {done ? t('market.placed', { id: done.id, status: t(`market.status.${done.status}`), filled: fmt(done.filled_wh, locale) }) : ''}
      </p>
    </form>
  );
}
