import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { localeOf, normalizeLang, translate } from './strings.js';

export const LANG_KEY = 'solgrid.lang';

function storedLang() {
  try { return normalizeLang(localStorage.getItem(LANG_KEY)); } catch { return 'ko'; }
}

const I18nContext = createContext({ lang: 'ko', t: (k, v) => translate('ko', k, v), setLang: () => {}, locale: 'ko-KR' });

export function I18nProvider({ children }) {
  const [lang, setLangState] = useState(storedLang);
  const setLang = useCallback((l) => {
    const next = normalizeLang(l);
    setLangState(next);
    try { localStorage.setItem(LANG_KEY, next); } catch { /* private mode */ }
  }, []);
  useEffect(() => { document.documentElement.lang = lang; }, [lang]);
  const value = useMemo(
    () => ({ lang, setLang, locale: localeOf(lang), t: (key, vars) => translate(lang, key, vars) }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n() {
  return useContext(I18nContext);
}
