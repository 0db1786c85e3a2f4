import { Link, NavLink } from 'react-router-dom';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { useGrid } from '../state/GridProvider.jsx';
import { SunLogo } from './Icons.jsx';

const LINKS = [
  { to: '/trade', key: 'nav.trade' },
  { to: '/settings', key: 'nav.settings' },
  { to: '/history', key: 'nav.history' },
];

// The connection mode as the whole app shows it. data-mode is 'real' only while the
// socket is connected ('virtual' otherwise, including the first connection attempt).
export function ModeBadge({ testId = 'connection-mode', className = '' }) {
  const { mode } = useGrid();
  const { t } = useI18n();
  return (
    <span
      className={`mode-badge mode-${mode} ${className}`}
      data-testid={testId}
      data-mode={mode === 'real' ? 'real' : 'virtual'}
      data-connecting={mode === 'connecting' ? 'true' : undefined}
      role="status"
      aria-live="polite"
    >
      {t(`mode.${mode}`)}
    </span>
  );
}

export default function Header() {
  const { t, lang, setLang } = useI18n();
  return (
    <header className="app-header">
      <div className="header-inner">
        <Link className="brand" to="/trade" aria-label="solgrid">
          <SunLogo />
          <span className="brand-text">
            <strong>solgrid</strong>
            <small>{t('app.tagline')}</small>
          </span>
        </Link>
        <div className="header-status">
          <ModeBadge />
          <button
            type="button"
            className="lang-switch"
            data-testid="lang-switch"
            title={t('lang.switchTitle')}
            onClick={() => setLang(lang === 'ko' ? 'en' : 'ko')}
          >
            {t('lang.switch')}
          </button>
        </div>
        <nav className="main-nav" aria-label={t('nav.label')}>
          {LINKS.map((l) => (
            <NavLink key={l.to} to={l.to} data-testid={`nav-${l.to.slice(1)}`} className={({ isActive }) => (isActive ? 'active' : undefined)}>
              {t(l.key)}
            </NavLink>
          ))}
        </nav>
      </div>
    </header>
  );
}
