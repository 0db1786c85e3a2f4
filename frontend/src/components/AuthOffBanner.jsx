import { useI18n } from '../i18n/I18nProvider.jsx';

// Shown on every page while the backend runs with AUTH=off (GET /api/auth/me → auth:"off").
export default function AuthOffBanner() {
  const { t } = useI18n();
  return (
    <div className="auth-off-banner" data-testid="auth-off-banner" role="alert">
      {t('auth.offBanner')}
    </div>
  );
}
