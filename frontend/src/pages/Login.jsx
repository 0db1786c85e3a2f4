import { useState } from 'react';
import { SunLogo } from '../components/Icons.jsx';
import { useI18n } from '../i18n/I18nProvider.jsx';
import { useAuth } from '../state/AuthProvider.jsx';

// The login page: shown instead of the dashboard while GET /api/auth/me answers 401.
// The URL stays as it was, so after the login the page asked for opens.
export default function Login() {
  const { t, lang, setLang } = useI18n();
  const { login } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null); // { key, vars } from lib/auth.js loginError

  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    if (!username.trim() || !password) {
      setError({ key: 'login.missing' });
      return;
    }
    setBusy(true);
    setError(null);
    const err = await login(username.trim(), password);
    setBusy(false);
    if (err) {
      setError(err);
      setPassword('');
    }
  }

  return (
    <div className="login-screen">
      <header className="app-header">
        <div className="header-inner login-header">
          <span className="brand">
            <SunLogo />
            <span className="brand-text">
              <strong>solgrid</strong>
              <small>{t('app.tagline')}</small>
            </span>
          </span>
          <div className="header-status">
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
        </div>
      </header>
      <main className="app-main">
        <form className="card login-card" data-testid="login-page" onSubmit={onSubmit} noValidate>
          <h1 className="page-title">{t('login.title')}</h1>
          <p className="muted">{t('login.hint')}</p>
          <label className="field">
            <span>{t('login.username')}</span>
            <input
              data-testid="login-username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck="false"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              autoFocus
            />
          </label>
          <label className="field">
            <span>{t('login.password')}</span>
            <input
              data-testid="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" className="btn primary login-submit" data-testid="login-submit" disabled={busy}>
            {busy && <span className="spinner" aria-hidden="true" />}
            {busy ? t('login.submitting') : t('login.submit')}
          </button>
          <p className="error-line" data-testid="login-error" data-error={error?.key ?? ''} role="alert">
            {error ? t(error.key, error.vars) : ''}
          </p>
        </form>
      </main>
    </div>
  );
}
