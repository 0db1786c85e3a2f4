import { useI18n } from '../../i18n/I18nProvider.jsx';
import { depthRows, fmtMoney } from '../../lib/market.js';
import { fmt } from '../../lib/format.js';

// The order book by price level: bids (best = highest first) and asks (best = lowest
// first), each level's energy with a cumulative depth bar; the spread and last price.
export default function OrderBook({ book, lastPrice, currency }) {
  const { t, locale } = useI18n();
  const d = depthRows(book);
  const side = (rows, name) => (
    <div className={`book-side book-${name}`} data-testid={`book-${name}`} data-levels={rows.length}>
      <h4>{t(`market.${name}`)}</h4>
      <table className="data-table book-table">
        <thead>
          <tr>
            <th>{t('market.priceCol')}</th>
            <th className="r">Wh</th>
            <th className="r">{t('market.orders')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((l) => (
            <tr key={l.price} data-testid="book-level" data-side={name} data-price={l.price} data-energy={l.energy_wh}>
              <td className="num price-cell">
                <span className="depth-bar" style={{ width: `${Math.round(l.depth * 100)}%` }} aria-hidden="true" />
                <span className="depth-text">{fmt(l.price, locale)}</span>
              </td>
              <td className="num r">{fmt(l.energy_wh, locale)}</td>
              <td className="num r">{l.orders ?? ''}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr><td colSpan={3} className="muted">{t('market.emptyBook')}</td></tr>
          )}
        </tbody>
      </table>
    </div>
  );
  return (
    <section className="card order-book" data-testid="order-book">
      <div className="card-label book-head">
        <span>{t('market.book')}</span>
        <span className="muted num" data-testid="last-price" data-value={lastPrice ?? ''}>
          {lastPrice !== null && lastPrice !== undefined ? t('market.lastPrice', { price: `${fmtMoney(lastPrice, currency, locale)}/kWh` }) : ''}
          {d.spread !== null ? ` · ${t('market.spread', { spread: fmt(d.spread, locale) })}` : ''}
        </span>
      </div>
      <div className="book-sides">
        {side(d.bids, 'bids')}
        {side(d.asks, 'asks')}
      </div>
    </section>
  );
}
