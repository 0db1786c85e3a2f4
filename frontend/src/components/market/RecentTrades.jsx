import { useI18n } from '../../i18n/I18nProvider.jsx';
import { fmtMoney, fmtWhen } from '../../lib/market.js';
import { fmt } from '../../lib/format.js';

const SHOWN = 30;

// The market's recent trades, newest first; the shown account's own ones are marked.
export default function RecentTrades({ trades, household, currency }) {
  const { t, locale } = useI18n();
  const label = (h) => (h === 'pool' ? t('market.poolShort') : h);
  return (
    <section className="card" data-testid="recent-trades" data-count={trades.length}>
      <h3 className="card-label">{t('market.recentTrades')}</h3>
      <div className="table-wrap">
        <table className="data-table">
          <thead>
            <tr>
              <th>{t('market.time')}</th>
              <th>{t('market.buyer')}</th>
              <th>{t('market.seller')}</th>
              <th className="r">Wh</th>
              <th className="r">{t('market.priceCol')}</th>
              <th className="r">{t('market.amountCol')}</th>
            </tr>
          </thead>
          <tbody>
            {trades.slice(0, SHOWN).map((tr) => {
              const mine = household && (tr.buyer === household || tr.seller === household);
              const amount = tr.amount ?? Math.round((tr.energy_wh * tr.price) / 1000);
              return (
                <tr key={tr.id} data-testid={`trade-${tr.id}`} data-buyer={tr.buyer} data-seller={tr.seller} data-energy={tr.energy_wh} data-price={tr.price} className={mine ? 'mine' : undefined}>
                  <td className="nowrap small">{fmtWhen(tr.at, locale)}</td>
                  <td>{label(tr.buyer)}{tr.buyer === household ? ` ${t('market.you')}` : ''}</td>
                  <td>{label(tr.seller)}{tr.seller === household ? ` ${t('market.you')}` : ''}</td>
                  <td className="num r">{fmt(tr.energy_wh, locale)}</td>
                  <td className="num r">{fmt(tr.price, locale)}</td>
                  <td className="num r">{fmtMoney(amount, currency, locale)}</td>
                </tr>
              );
            })}
            {trades.length === 0 && (
              <tr><td colSpan={6} className="muted">{t('market.noTrades')}</td></tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
