import { useState } from 'react';
import { HouseIcon, BatteryGauge, BoltIcon } from '../components/Icons.jsx';
import Market from '../components/market/Market.jsx';
import Switch from '../components/Switch.jsx';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { relayPermission } from '../lib/auth.js';
import { energyBalanceWh } from '../lib/energy.js';
import { fmtMoney, tradeRole } from '../lib/market.js';
import { fmt, plain } from '../lib/format.js';
import { useAuth } from '../state/AuthProvider.jsx';
import { useGrid } from '../state/GridProvider.jsx';
import { HOUSEHOLDS } from '../state/normalize.js';
import { useMarket } from '../state/useMarket.js';

// Trade (seed: Trade.jsx): the battery's energy balance, the four households' relays (each
// with its market balance and, when the market switched it off, why), and the energy
// market (components/market).
export default function Trade() {
  const { t, locale } = useI18n();
  const { mode, reading, relays, capacityWh, pending, relayError, setRelay } = useGrid();
  const auth = useAuth();
  const role = auth.status === 'user' ? auth.user?.role : null;
  const balance = energyBalanceWh(reading?.soc, capacityWh);
  const simulated = mode === 'virtual';
  const trading = tradeRole(auth, mode);
  const [picked, setPicked] = useState('A');
  const household = trading.fixed ?? picked;
  const market = useMarket(household);
  const currency = market.info?.currency ?? 'KRW';
  // Virtual mode enforces the simulated market's blocks here (the backend answers 409 itself).
  const [simRefusal, setSimRefusal] = useState(null);
  const switchRelay = (h, next) => {
    const blocked = simulated && next ? market.accounts[h]?.relay_blocked : null;
    setSimRefusal(blocked ? { household: h, reason: t(`market.blocked.${blocked}`, { floor: market.info?.soc_floor ?? '—' }) } : null);
    if (!blocked) setRelay(h, next);
  };
  const shownRelayError = relayError ?? simRefusal;

  return (
    <div className="page page-trade">
      <h1 className="page-title">{t('trade.title')}</h1>

      <section className="grid-2">
        <article className="card balance-card">
          <div className="card-label">
            {t('trade.balance')}
            {simulated && <span className="tag tag-sim">{t('common.simulated')}</span>}
          </div>
          <div className="big-value">
            <span data-testid="energy-balance" data-value={balance ?? ''} className="num">{plain(balance)}</span>
            <span className="unit">Wh</span>
          </div>
          <div className="card-hint num">
            {reading ? t('trade.balanceHint', { soc: fmt(reading.soc, locale), cap: fmt(capacityWh, locale) }) : t('common.noData')}
          </div>
        </article>

        <article className="card battery-card">
          <div className="card-label">{t('trade.battery')}</div>
          <div className="battery-row">
            <BatteryGauge percent={reading?.soc ?? null} />
            <div className="big-value">
              <span className="num">{plain(reading?.soc)}</span>
              <span className="unit">%</span>
            </div>
          </div>
          <div className="card-hint solar-line">
            <BoltIcon size={16} /> {t('trade.solar')}
            <strong className="num">{fmt(reading?.solar_w, locale, 1)} W</strong>
          </div>
        </article>
      </section>

      <section className="section">
        <div className="section-head">
          <h2>{t('trade.households')}</h2>
          <p className="muted">{simulated ? t('trade.virtualNote') : t('trade.householdsHint')}</p>
        </div>
        {(role === 'household' || role === 'viewer') && (
          <p className="role-note" data-testid="relay-permission-note" data-role={role}>
            {role === 'household' ? t('auth.noteHousehold', { h: auth.user.household ?? '?' }) : t('auth.noteViewer')}
          </p>
        )}
        <div className="households">
          {HOUSEHOLDS.map((h) => {
            const state = relays[h];
            const on = state === true;
            const stateText = state === null || state === undefined ? t('state.unknown') : t(on ? 'state.on' : 'state.off');
            const perm = relayPermission(auth, h);
            return (
              <article
                key={h}
                className={`card household${on ? ' on' : ''}${state == null ? ' unknown' : ''}`}
                data-testid={`household-${h}`}
                data-state={on ? 'on' : 'off'}
                data-allowed={perm.allowed ? 'true' : 'false'}
              >
                <HouseIcon on={on} size={80} />
                <div className="household-body">
                  <h3>{t('trade.household', { h })}</h3>
                  <span className={`state-pill ${on ? 'on' : 'off'}`}>{pending[h] ? t('trade.pending') : stateText}</span>
                  <HouseholdAccount h={h} account={market.accounts[h]} currency={currency} socFloor={market.info?.soc_floor} />
                </div>
                <Switch
                  checked={on}
                  busy={pending[h]}
                  disabled={!perm.allowed || mode === 'connecting' || pending[h] || (mode === 'real' && state == null)}
                  title={perm.allowed ? undefined : t(perm.reason, perm.vars)}
                  label={t('trade.switchLabel', { h })}
                  testId={`relay-switch-${h}`}
                  onChange={(next) => switchRelay(h, next)}
                />
              </article>
            );
          })}
        </div>
        <p className="error-line" role="alert">
          {shownRelayError ? t('trade.relayError', { h: shownRelayError.household, reason: shownRelayError.reason }) : ''}
        </p>
      </section>

      <Market
        market={market}
        household={household}
        trading={trading}
        onPick={setPicked}
        simulated={simulated}
      />
    </div>
  );
}

// A household card's market line: its energy and money balance, and why the market
// switched its relay off (energy balance 0, or every relay at the SoC floor).
function HouseholdAccount({ h, account, currency, socFloor }) {
  const { t, locale } = useI18n();
  if (!account) return null;
  return (
    <div className="household-account" data-testid={`household-account-${h}`} data-energy={account.energy_wh ?? ''} data-money={account.money ?? ''}>
      <span className="num">{fmt(account.energy_wh, locale)} Wh · {fmtMoney(account.money, currency, locale)}</span>
      {account.relay_blocked && (
        <span className="blocked-pill" data-testid={`household-blocked-${h}`} data-reason={account.relay_blocked} role="note">
          {t(`market.blocked.${account.relay_blocked}`, { floor: socFloor ?? '—' })}
        </span>
      )}
      {account.exempt && <span className="tag">{t('market.exempt')}</span>}
    </div>
  );
}
