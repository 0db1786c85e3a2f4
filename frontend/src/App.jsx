import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import AuthOffBanner from './components/AuthOffBanner.jsx';
import Header from './components/Header.jsx';
import { I18nProvider } from './i18n/I18nProvider.jsx';
import { isAdmin } from './lib/auth.js';
import Admin from './pages/Admin.jsx';
import EnvSetting from './pages/EnvSetting.jsx';
import History from './pages/History.jsx';
import Login from './pages/Login.jsx';
import Trade from './pages/Trade.jsx';
import { AuthProvider, useAuth } from './state/AuthProvider.jsx';
import { GridProvider } from './state/GridProvider.jsx';

export default function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <GridProvider>
          <BrowserRouter>
            <Shell />
          </BrowserRouter>
        </GridProvider>
      </AuthProvider>
    </I18nProvider>
  );
}

// The login page while the backend wants one (GET /api/auth/me → 401), else the dashboard;
// with AUTH=off a warning banner above every page.
function Shell() {
  const auth = useAuth();
  if (auth.status === 'login') return <Login />;
  return (
    <>
      {auth.status === 'off' && <AuthOffBanner />}
      <Header />
      <main className="app-main">
        <Routes>
          <Route path="/" element={<Navigate to="/trade" replace />} />
          <Route path="/trade" element={<Trade />} />
          <Route path="/settings" element={<EnvSetting />} />
          <Route path="/history" element={<History />} />
          <Route path="/admin" element={<AdminRoute />} />
          <Route path="*" element={<Navigate to="/trade" replace />} />
        </Routes>
      </main>
    </>
  );
}

function AdminRoute() {
  const auth = useAuth();
  if (auth.status === 'checking') return null;
  return isAdmin(auth) ? <Admin /> : <Navigate to="/trade" replace />;
}
