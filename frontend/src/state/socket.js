import { io } from 'socket.io-client';
import { BACKEND_URL, socketTransports } from '../lib/config.js';

// The one Socket.IO connection the whole app shares (every page listens to it).
// With access control the handshake is authenticated by the session cookie, so the
// connection is (re)opened after a login: GridProvider disconnects it while the login
// page shows and connects it again once someone is logged in.
let socket = null;

// The server's CONNECT_ERROR for a handshake without (valid) credentials.
export const UNAUTHORIZED = 'unauthorized';

export function getSocket() {
  if (socket) return socket;
  const opts = {
    autoConnect: false,
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 5000,
    // Cross-origin (npm run dev) the polling requests must carry the session cookie too.
    withCredentials: Boolean(BACKEND_URL),
  };
  const transports = socketTransports();
  if (transports) opts.transports = transports;
  // io('') would build the URL "http://"; with no URL socket.io-client uses the page origin.
  socket = BACKEND_URL ? io(BACKEND_URL, opts) : io(opts);
  return socket;
}
