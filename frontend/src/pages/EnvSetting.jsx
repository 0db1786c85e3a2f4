import { useEffect, useRef, useState } from 'react';
import { ModeBadge } from '../components/Header.jsx';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { fetchJson } from '../lib/api.js';
import { BACKEND_URL } from '../lib/config.js';
import { fmt, fmtTime, plain } from '../lib/format.js';
import { ARDUINO_CHECK_TIMEOUT_MS, describeArduinoCheck } from '../state/arduino.js';
import { useGrid } from '../state/GridProvider.jsx';

// EnvSetting (/settings): connection mode, live readings, and the Arduino check.
export default function EnvSetting() {
  const { t, locale } = useI18n();
  const { mode, reading, capacityWh, device } = useGrid();
  const hint = mode === 'real' ? 'settings.realHint' : mode === 'virtual' ? 'settings.virtualHint' : 'settings.connectingHint';
  const origin = typeof location === 'undefined' ? '' : location.origin;

  return (
    <div className="page page-settings">
      <h1 className="page-title">{t('settings.title')}</h1>

      <section className="card">
        <div className="card-label">{t('settings.connection')}</div>
        <div className="mode-line">
          <ModeBadge testId="connection-mode-detail" className="large" />
        </div>
        <p className="muted">{t(hint)}</p>
        <dl className="facts">
          <dt>{t('settings.backend')}</dt>
          <dd className="mono">{BACKEND_URL || t('settings.sameOrigin', { origin })}</dd>
          <dt>{t('settings.capacity')}</dt>
          <dd className="num">{fmt(capacityWh, locale)} Wh</dd>
        </dl>
      </section>

      <section className="card">
        <div className="card-label">
          {t('settings.readings')}
          {mode === 'virtual' && <span className="tag tag-sim">{t('common.simulated')}</span>}
        </div>
        <div className="readings">
          <div className="reading">
            <span className="reading-label">{t('settings.battery')}</span>
            <span className="reading-value">
              <span className="num" data-testid="battery-percent" data-value={reading?.soc ?? ''}>{plain(reading?.soc)}</span>
              <span className="unit">%</span>
            </span>
          </div>
          <div className="reading">
            <span className="reading-label">{t('settings.solar')}</span>
            <span className="reading-value">
              <span className="num" data-testid="solar-w">{fmt(reading?.solar_w, locale, 1)}</span>
              <span className="unit">W</span>
            </span>
          </div>
          <div className="reading">
            <span className="reading-label">{t('settings.lux')}</span>
            <span className="reading-value">
              <span className="num" data-testid="lux">{fmt(reading?.lux, locale)}</span>
              <span className="unit">lux</span>
            </span>
          </div>
          <div className="reading">
            <span className="reading-label">{t('settings.lastReading')}</span>
            <span className="reading-value small num" data-testid="last-reading">
              {reading ? fmtTime(reading.timestamp, locale) : t('common.noData')}
            </span>
          </div>
        </div>
        {device && <DeviceStatus device={device} />}
      </section>

      <ArduinoCheck mode={mode} />
    </div>
  );
}

function DeviceStatus({ device }) {
  const { t, locale } = useI18n();
  // device_status: {online, status: 'online'|'offline'|'unknown', last_seen, ...}
  const online = device.online === true || device.status === 'online';
  const state = online ? 'online' : device.status === 'unknown' ? 'unknown' : 'offline';
  const lastSeen = device.last_seen ?? device.lastSeen;
  const label = { online: 'settings.deviceOnline', offline: 'settings.deviceOffline', unknown: 'settings.deviceUnknown' }[state];
  return (
    <p className={`device-line device-${state}`} data-testid="device-status" data-state={state}>
      <strong>{t('settings.device')}:</strong> {t(label)}
      {lastSeen ? ` · ${t('settings.deviceLastSeen', { time: fmtTime(lastSeen, locale) })}` : ''}
    </p>
  );
}

function ArduinoCheck({ mode }) {
  const { t } = useI18n();
  const [result, setResult] = useState(null); // null | { status: 'pending' } | describeArduinoCheck(...)
  const ctrlRef = useRef(null);
  useEffect(() => () => ctrlRef.current?.abort(), []);

  async function check() {
    if (mode !== 'real') {
      setResult({ status: 'virtual', key: 'arduino.virtual' });
      return;
    }
    ctrlRef.current?.abort();
    const ctrl = new AbortController();
    ctrlRef.current = ctrl;
    setResult({ status: 'pending' });
    const res = await fetchJson('/api/arduino/check', { timeoutMs: ARDUINO_CHECK_TIMEOUT_MS, signal: ctrl.signal });
    if (ctrl.signal.aborted) return;
    setResult(describeArduinoCheck(res));
  }

  const pending = result?.status === 'pending';
  return (
    <section className="card">
      <div className="card-label">{t('settings.arduino')}</div>
      <p className="muted">{t('settings.arduinoHint')}</p>
      <button type="button" className="btn primary" data-testid="arduino-check" onClick={check} disabled={pending}>
        {pending && <span className="spinner" aria-hidden="true" />}
        {pending ? t('settings.checking') : t('settings.check')}
      </button>
      <div className={`check-result status-${result?.status ?? 'idle'}`} data-testid="arduino-check-result" data-status={result?.status ?? 'idle'} aria-live="polite">
        {!result && <span className="muted">{t('arduino.idle')}</span>}
        {pending && <span>{t('settings.checking')}</span>}
        {result && !pending && (
          <>
            <div className="check-title">{t(result.key, result.vars)}</div>
            {result.latencyMs !== null && result.latencyMs !== undefined && (
              <div className="num">{t('arduino.latency', { ms: result.latencyMs })}</div>
            )}
            {result.message && <div className="mono small">{result.message}</div>}
            {result.device && <pre className="mono small device-json">{JSON.stringify(result.device, null, 2)}</pre>}
          </>
        )}
      </div>
    </section>
  );
}
