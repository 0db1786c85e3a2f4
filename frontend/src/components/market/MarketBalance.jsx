import { useI18n } from '../../i18n/I18nProvider.jsx';
import { ACCOUNTS, fmtMoney } from '../../lib/market.js';
import { fmt, plain } from '../../lib/format.js';

// The shown account's energy and money balance (and what open orders leave free).
// data-value holds the plain integers (Wh, minor units) for tests.
export function MarketBalance({ household, account, currency }) {
  const { t, locale } = useI18n();
  return (
    <article className="card market-balance" data-household={household ?? ''}>
      <div className="card-label">{household === 'pool' ? t('market.poolBalance') : t('market.balanceOf', { h: household ?? '?' })}</div>
      <div className="market-balance-values">
        <div>
          <div className="muted small">{t('market.energy')}</div>
          <div className="big-value">
            <span className="num" data-testid="market-balance-energy" data-value={account?.energy_wh ?? ''}>{account ? fmt(account.energy_wh, locale) : '—'}</span>
            <span className="unit">Wh</span>
          </div>
        </div>
        <div>
          <div className="muted small">{t('market.money')}</div>
          <div className="big-value">
            <span className="num" data-testid="market-balance-money" data-value={account?.money ?? ''}>{account ? fmtMoney(account.money, currency, locale) : '—'}</span>
          </div>
        </div>
      </div>
      <div className="card-hint num" data-testid="market-balance-free" data-energy={account?.free_energy_wh ?? ''} data-money={account?.free_money ?? ''}>
        {account ? t('market.free', { wh: plain(account.free_energy_wh), money: fmtMoney(account.free_money, currency, locale) }) : '\u00a0'}
      </div>
    </article>
  );
}

// admin/operator (and AUTH=off, virtual mode): whose account the market section shows.
export function HouseholdPicker({ value, onChange }) {
  const { t } = useI18n();
  return (
    <label className="field picker">
      {t('market.picker')}
      <select data-testid="market-household-picker" value={value} onChange={(e) => onChange(e.target.value)}>
        {ACCOUNTS.map((h) => (
          <option key={h} value={h}>{h === 'pool' ? t('market.pool') : t('trade.household', { h })}</option>
        ))}
      </select>
    </label>
  );
}
