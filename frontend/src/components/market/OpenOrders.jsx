import { useState } from 'react';
import { useI18n } from '../../i18n/I18nProvider.jsx';
import { apiErrorText } from '../../lib/auth.js';
import { fmtWhen } from '../../lib/market.js';
import { fmt } from '../../lib/format.js';

// The shown account's open orders (newest first) with a cancel button each; the server's
// refusal (404 unknown, 409 no longer open) is shown under the table.
export default function OpenOrders({ orders, canTrade, cancel }) {
  const { t, locale } = useI18n();
  const [busy, setBusy] = useState({});
  const [error, setError] = useState('');

  async function onCancel(id) {
    setBusy((b) => ({ ...b, [id]: true }));
    setError('');
    const res = await cancel(id);
    setBusy((b) => ({ ...b, [id]: false }));
    if (!res.ok) setError(t('market.cancelError', { reason: apiErrorText(res, t) }));
  }

  return (
    <section className="card" data-testid="open-orders" data-count={orders.length}>
      <h3 className="card-label">{t('market.openOrders')}</h3>
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr>
              <th>#</th>
              <th>{t('market.side')}</th>
              <th className="r">Wh</th>
              <th className="r">{t('market.filled')}</th>
              <th className="r">{t('market.priceCol')}</th>
              <th>{t('market.tif')}</th>
              <th>{t('market.time')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-testid={`open-order-${o.id}`} data-side={o.side} data-price={o.price} data-energy={o.energy_wh} data-filled={o.filled_wh}>
                <td className="num">{o.id}</td>
                <td><span className={`side-tag side-${o.side}`}>{t(`market.side.${o.side}`)}</span></td>
                <td className="num r">{fmt(o.energy_wh, locale)}</td>
                <td className="num r">{fmt(o.filled_wh, locale)}</td>
                <td className="num r">{fmt(o.price, locale)}</td>
                <td className="nowrap">{String(o.tif ?? 'gtc').toUpperCase()}</td>
                <td className="nowrap small">{fmtWhen(o.created_at, locale)}</td>
                <td>
                  <button
                    type="button"
                    className="btn small danger"
                    data-testid={`cancel-order-${o.id}`}
                    disabled={!canTrade || busy[o.id]}
                    onClick={() => onCancel(o.id)}
                  >
                    {t('market.cancel')}
                  </button>
                </td>
              </tr>
            ))}
            {orders.length === 0 && (
              <tr><td colSpan={8} className="muted">{t('market.noOpenOrders')}</td></tr>
            )}
          </tbody>
        </table>
      </div>
      <p className="error-line" data-testid="cancel-error" role="alert">{error}</p>
    </section>
  );
}
