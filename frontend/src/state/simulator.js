// Virtual mode: simulated readings when no backend can be reached.
// Solar follows a gentle daylight curve (sunrise 06:00, noon peak, sunset 18:00, local
// time) with a little noise; the battery charges from the sun and discharges into the
// households whose relays are on. Pure: the clock, the relays and the random source are
// passed in, so tests can drive it.

export const SIM_INTERVAL_MS = 2000;
export const PEAK_SOLAR_W = 320;
export const PEAK_LUX = 60000;
export const HOUSE_LOAD_W = 120;
export const BASE_LOAD_W = 15;
// One tick moves the battery as much as a minute of real flow would, so that the
// simulated SoC visibly lives during a demo; it is labelled as simulation everywhere.
export const SIM_SPEEDUP = 30;
export const SOC_FLOOR = 5;

export function daylight(date) {
  const h = date.getHours() + date.getMinutes() / 60 + date.getSeconds() / 3600;
  if (h <= 6 || h >= 18) return 0;
  return Math.sin((Math.PI * (h - 6)) / 12);
}

export function createSim(soc = 72) {
  const s = Number(soc);
  return { socExact: Number.isFinite(s) ? Math.min(100, Math.max(SOC_FLOOR, s)) : 72, cloud: 1 };
}

const round1 = (x) => Math.round(x * 10) / 10;

// Advance the simulation by dtSec seconds ending at `now`. Returns { sim, reading }.
export function simulateStep(sim, { now, dtSec = SIM_INTERVAL_MS / 1000, relays = {}, capacityWh = 10000, rng = Math.random }) {
  const d = daylight(now);
  // Clouds drift slowly between 0.75 and 1 (a random walk), plus a few % of sensor noise.
  const cloud = Math.min(1, Math.max(0.75, sim.cloud + (rng() - 0.5) * 0.04));
  const noise = 1 + (rng() - 0.5) * 0.06;
  const solar_w = d > 0 ? Math.max(0, PEAK_SOLAR_W * d * cloud * noise) : 0;
  const lux = d > 0 ? Math.max(0, PEAK_LUX * d * cloud * noise) : Math.round(rng() * 5);

  const housesOn = ['A', 'B', 'C', 'D'].filter((h) => relays[h] === true).length;
  const netW = solar_w - BASE_LOAD_W - housesOn * HOUSE_LOAD_W;
  const deltaWh = (netW * dtSec * SIM_SPEEDUP) / 3600;
  const socExact = Math.min(100, Math.max(SOC_FLOOR, sim.socExact + (deltaWh / capacityWh) * 100));

  return {
    sim: { socExact, cloud },
    reading: {
      soc: Math.round(socExact),
      solar_w: round1(solar_w),
      lux: Math.round(lux),
      timestamp: now.toISOString(),
      t: now.getTime() / 1000,
    },
  };
}
