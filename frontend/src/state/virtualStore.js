import { HOUSEHOLDS, normalizeRelays } from './normalize.js';

// Virtual mode keeps its relay switches and simulated battery in localStorage, so they
// survive reloads and are shared by tabs. Nothing here ever reaches the backend.
export const RELAYS_KEY = 'solgrid.virtual.relays';
export const SOC_KEY = 'solgrid.virtual.soc';

const defaultStorage = () => (typeof localStorage === 'undefined' ? null : localStorage);

export function loadVirtualRelays(storage = defaultStorage()) {
  const base = Object.fromEntries(HOUSEHOLDS.map((h) => [h, false]));
  try {
    const raw = storage?.getItem(RELAYS_KEY);
    return raw ? { ...base, ...normalizeRelays(JSON.parse(raw)) } : base;
  } catch {
    return base;
  }
}

export function saveVirtualRelays(relays, storage = defaultStorage()) {
  const clean = { ...loadVirtualRelays(storage), ...normalizeRelays(relays) };
  try { storage?.setItem(RELAYS_KEY, JSON.stringify(clean)); } catch { /* storage full or denied */ }
  return clean;
}

export function loadSimSoc(storage = defaultStorage()) {
  try {
    const v = Number(storage?.getItem(SOC_KEY));
    return storage?.getItem(SOC_KEY) !== null && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function saveSimSoc(soc, storage = defaultStorage()) {
  try { storage?.setItem(SOC_KEY, String(Math.round(soc * 100) / 100)); } catch { /* ignore */ }
}
