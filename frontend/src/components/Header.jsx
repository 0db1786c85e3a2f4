import { useState } from 'react';
import { Link, NavLink } from 'react-router-dom';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { isAdmin, roleLabel } from '../lib/auth.js';
import { useAuth } from '../state/AuthProvider.jsx';
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

const ADMIN_LINK = { to: '/admin', key: 'nav.admin' };

// The logged-in user (name, role with the household letter) and the logout button.
function UserBox() {
  const { t } = useI18n();
  const { status, user, logout, showLogin } = useAuth();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  if (status === 'guest') {
    return (
      <div className="user-box" aria-label={t('header.user')}>
        <span className="role-tag role-viewer" data-testid="user-role" data-role="guest">{t('role.guest')}</span>
        <button type="button" className="logout-button" data-testid="login-button" onClick={showLogin}>
          {t('header.login')}
        </button>
      </div>
    );
  }
  if (status !== 'user' || !user) return null;
  const role = roleLabel(user);
  async function onLogout() {
    setBusy(true);
    setFailed(false);
    const ok = await logout();
    setBusy(false);
    if (!ok) setFailed(true);
  }
  return (
    <div className="user-box" aria-label={t('header.user')}>
      <span className="user-name" data-testid="user-name">{user.username}</span>
      <span className={`role-tag role-${user.role}`} data-testid="user-role" data-role={user.role} data-household={user.household ?? undefined}>
        {t(role.key, role.vars)}
      </span>
      <button
        type="button"
        className="logout-button"
        data-testid="logout-button"
        onClick={onLogout}
        disabled={busy}
        title={failed ? t('header.logoutFailed') : undefined}
      >
        {t('header.logout')}
      </button>
      {failed && <span className="logout-error" role="alert">{t('header.logoutFailed')}</span>}
    </div>
  );
}

export default function Header() {
  const { t, lang, setLang } = useI18n();
  const auth = useAuth();
  const links = isAdmin(auth) ? [...LINKS, ADMIN_LINK] : LINKS;
  return (
    <header className="app-header">
      <div className={`header-inner${auth.status === 'user' || auth.status === 'guest' ? ' with-user' : ''}`}>
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
          <UserBox />
        </div>
        <nav className="main-nav" aria-label={t('nav.label')}>
          {links.map((l) => (
            <NavLink key={l.to} to={l.to} data-testid={`nav-${l.to.slice(1)}`} className={({ isActive }) => (isActive ? 'active' : undefined)}>
              {t(l.key)}
            </NavLink>
          ))}
        </nav>
      </div>
    </header>
  );
}
