import { describe, expect, test } from 'vitest';
import { LANGS, localeOf, normalizeLang, strings, translate } from './strings.js';

describe('i18n', () => {
  test('Korean and English have the same keys, none empty', () => {
    const ko = Object.keys(strings.ko).sort();
    expect(Object.keys(strings.en).sort()).toEqual(ko);
    for (const lang of LANGS) for (const k of ko) expect(strings[lang][k].length, `${lang}:${k}`).toBeGreaterThan(0);
  });
  test('placeholders match between languages', () => {
    const vars = (s) => (s.match(/\{\w+\}/g) || []).sort();
    for (const k of Object.keys(strings.ko)) expect(vars(strings.en[k]), k).toEqual(vars(strings.ko[k]));
  });
  test('the seed’s exact real-mode label and the Arduino button text', () => {
    expect(translate('ko', 'mode.real')).toBe('🟢 실제 모드 (백엔드 연결됨)');
    expect(translate('ko', 'settings.check')).toBe('아두이노 연결 확인');
    expect(translate('ko', 'mode.virtual')).toMatch(/가상 모드/);
  });
  test('the market’s relay-block reasons, as the issue words them', () => {
    expect(translate('ko', 'market.blocked.energy_balance')).toBe('잔액 부족으로 차단');
    expect(translate('en', 'market.blocked.energy_balance')).toBe('Blocked: energy balance is 0');
    expect(translate('en', 'market.blocked.soc_floor', { floor: 10 })).toBe('Blocked: battery at the SoC floor (10 %)');
  });
  test('interpolation, fallbacks, default language', () => {
    expect(translate('en', 'trade.household', { h: 'A' })).toBe('Household A');
    expect(translate('ko', 'trade.household', { h: 'B' })).toBe('B 가구');
    expect(translate('ko', 'trade.household')).toBe('{h} 가구');
    expect(translate('fr', 'nav.trade')).toBe('거래');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
    expect(normalizeLang(null)).toBe('ko');
    expect(localeOf('en')).toBe('en-US');
    expect(localeOf('ko')).toBe('ko-KR');
  });
});
