import { useI18n } from '../../i18n/I18nProvider.jsx';
import { MarketIcon } from '../Icons.jsx';
import { HouseholdPicker, MarketBalance } from './MarketBalance.jsx';
import OpenOrders from './OpenOrders.jsx';
import OrderBook from './OrderBook.jsx';
import OrderForm from './OrderForm.jsx';
import RecentTrades from './RecentTrades.jsx';
import Statement from './Statement.jsx';
import TradeChart from './TradeChart.jsx';

// The Trade page's market section: whose account (a picker for admin/operator), its
// balance and the order form, the book and the price chart, its open orders, the recent
// trades and its statement. `market` is useMarket's answer; `trading` lib/market's tradeRole.
export default function Market({ market, household, trading, onPick, simulated }) {
  const { t } = useI18n();
  const currency = market.info?.currency ?? 'KRW';
  const account = market.accounts[household] ?? null;
  const lastOwnTrade = market.trades.find((tr) => tr.buyer === household || tr.seller === household)?.id ?? null;
  const notice = {
    loading: t('market.loading'),
    unavailable: t('market.unavailable', { reason: market.reason }),
    failed: t('market.failed', { reason: market.reason }),
  }[market.status];

  return (
    // market-placeholder: the seed's hook for this area, kept for tests that look for it.
    <div data-testid="market-placeholder" className="market-area">
    <section className="section market" aria-labelledby="market-title" data-testid="market" data-status={market.status} data-mode={market.mode}>
      <div className="section-head market-head">
        <MarketIcon />
        <h2 id="market-title">{t('trade.market.title')}</h2>
        {simulated && <span className="tag tag-sim">{t('common.simulated')}</span>}
        {!trading.fixed && <HouseholdPicker value={household} onChange={onPick} />}
      </div>
      {simulated && <p className="muted small market-note">{t('market.virtualNote')}</p>}
      {notice && <p className="notice" role="status" data-testid="market-notice">{notice}</p>}

      <div className="market-grid market-top">
        <MarketBalance household={household} account={account} currency={currency} />
        <OrderForm
          info={market.status === 'ok' ? market.info : null}
          household={household}
          sendHousehold={trading.sendHousehold}
          canTrade={trading.canTrade && market.status === 'ok'}
          place={market.place}
        />
      </div>

      <div className="market-grid">
        <OrderBook book={market.book} lastPrice={market.last_price} currency={currency} />
        <TradeChart trades={market.trades} currency={currency} />
      </div>

      <div className="market-stack">
        <OpenOrders orders={market.orders} canTrade={trading.canTrade} cancel={market.cancel} />
        <RecentTrades trades={market.trades} household={household} currency={currency} />
        <Statement household={household} currency={currency} statement={market.statement} mode={market.mode} refreshKey={lastOwnTrade} />
      </div>
    </section>
    </div>
  );
}
