import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import Header from './components/Header.jsx';
import { I18nProvider } from './i18n/I18nProvider.jsx';
import EnvSetting from './pages/EnvSetting.jsx';
import History from './pages/History.jsx';
import Trade from './pages/Trade.jsx';
import { GridProvider } from './state/GridProvider.jsx';

export default function App() {
  return (
    <I18nProvider>
      <GridProvider>
        <BrowserRouter>
          <Header />
          <main className="app-main">
            <Routes>
              <Route path="/" element={<Navigate to="/trade" replace />} />
              <Route path="/trade" element={<Trade />} />
              <Route path="/settings" element={<EnvSetting />} />
              <Route path="/history" element={<History />} />
              <Route path="*" element={<Navigate to="/trade" replace />} />
            </Routes>
          </main>
        </BrowserRouter>
      </GridProvider>
    </I18nProvider>
  );
}
