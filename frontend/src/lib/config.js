// Where the solgrid backend lives. Empty means "same origin": the production build is
// served by `solgrid serve` itself. `npm run dev` sets http://localhost:5000 (.env.development).
export const BACKEND_URL = String(import.meta.env?.VITE_BACKEND_URL ?? '').replace(/\/+$/, '');

export function apiUrl(path) {
  return `${BACKEND_URL}${path}`;
}

// Socket transports: default lets socket.io-client poll then upgrade. `?transports=websocket`
// in the page URL (or VITE_SOCKET_TRANSPORTS=websocket) forces WebSocket only.
export function socketTransports(search = globalThis.location?.search ?? '') {
  const fromUrl = new URLSearchParams(search).get('transports');
  const raw = fromUrl || import.meta.env?.VITE_SOCKET_TRANSPORTS || '';
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s === 'websocket' || s === 'polling');
  return list.length ? list : undefined;
}
