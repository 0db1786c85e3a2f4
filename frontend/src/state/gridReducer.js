import { DEFAULT_CAPACITY_WH } from '../lib/energy.js';
import { HOUSEHOLDS } from './normalize.js';

// The app's live state and how it changes. Pure: no sockets, timers or storage here.
//
// mode: 'connecting' (first attempt under way), 'real' (socket connected), 'virtual'
// (backend unreachable: simulated readings, relays in localStorage).
// epoch: bumped on every (re)connect; REST answers tagged with an older epoch are stale.
// Data from one mode never leaks into the other: switching clears reading/relays/live.

export const LIVE_LIMIT = 20000;

const unknownRelays = () => Object.fromEntries(HOUSEHOLDS.map((h) => [h, null]));

export function initialState() {
  return {
    mode: 'connecting',
    epoch: 0,
    reading: null,
    relays: unknownRelays(),
    live: [],
    device: null,
    capacityWh: DEFAULT_CAPACITY_WH,
  };
}

// True when an action carrying data from `source` may touch the current state.
function accepts(state, action) {
  if (action.source === 'virtual') return state.mode === 'virtual';
  if (action.source === 'real') {
    return state.mode === 'real' && (action.epoch === undefined || action.epoch === state.epoch);
  }
  return false;
}

function appendLive(live, reading) {
  const last = live[live.length - 1];
  if (last && reading.t <= last.t) return live;
  const point = { t: reading.t, soc: reading.soc, solar_w: reading.solar_w, lux: reading.lux };
  const next = live.length >= LIVE_LIMIT ? live.slice(live.length - LIVE_LIMIT + 1) : live.slice();
  next.push(point);
  return next;
}

export function gridReducer(state, action) {
  switch (action.type) {
    case 'connected':
      return { ...state, mode: 'real', epoch: action.epoch ?? state.epoch + 1, reading: null, relays: unknownRelays(), live: [], device: null };

    case 'disconnected':
    case 'connect_error':
      if (state.mode === 'virtual') return state;
      return {
        ...state,
        mode: 'virtual',
        reading: null,
        relays: { ...Object.fromEntries(HOUSEHOLDS.map((h) => [h, false])), ...(action.virtualRelays || {}) },
        live: [],
        device: null,
      };

    case 'reading': {
      const r = action.reading;
      if (!r || !accepts(state, action)) return state;
      // A REST answer can arrive after a newer pushed event: keep the newest reading.
      if (state.reading && r.t < state.reading.t) return state;
      return { ...state, reading: r, live: appendLive(state.live, r) };
    }

    case 'relays': {
      if (!accepts(state, action)) return state;
      const changed = HOUSEHOLDS.some((h) => typeof action.relays[h] === 'boolean' && action.relays[h] !== state.relays[h]);
      return changed ? { ...state, relays: { ...state.relays, ...action.relays } } : state;
    }

    case 'device':
      return accepts(state, action) ? { ...state, device: action.device } : state;

    case 'config':
      return action.capacityWh > 0 ? { ...state, capacityWh: action.capacityWh } : state;

    default:
      return state;
  }
}
