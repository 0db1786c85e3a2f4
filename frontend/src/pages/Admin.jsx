import AuditLog from '../components/admin/AuditLog.jsx';
import Devices from '../components/admin/Devices.jsx';
import Users from '../components/admin/Users.jsx';
import { useI18n } from '../i18n/I18nProvider.jsx';

// Admin (/admin, admins only): users, device tokens and the audit log.
export default function Admin() {
  const { t } = useI18n();
  return (
    <div className="page page-admin" data-testid="admin-page">
      <h1 className="page-title">{t('admin.title')}</h1>
      <Users />
      <Devices />
      <AuditLog />
    </div>
  );
}
