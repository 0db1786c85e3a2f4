import { io } from 'socket.io-client';
import { BACKEND_URL, socketTransports } from '../lib/config.js';

// The one Socket.IO connection the whole app shares (every page listens to it).
let socket = null;

export function getSocket() {
  if (socket) return socket;
  const opts = {
    autoConnect: false,
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 5000,
  };
  const transports = socketTransports();
  if (transports) opts.transports = transports;
  // io('') would build the URL "http://"; with no URL socket.io-client uses the page origin.
  socket = BACKEND_URL ? io(BACKEND_URL, opts) : io(opts);
  return socket;
}
