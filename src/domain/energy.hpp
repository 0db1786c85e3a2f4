// The battery-energy rule, defined once: the energy stored in the community
// battery, in Wh, is soc / 100 × capacity (the seed's Trade page: a 10 kWh
// battery at 85 % holds 8500 Wh). Every API figure of battery energy comes
// from here. Pure; any thread.
#pragma once

namespace solgrid::domain {

inline double battery_energy_wh(int soc_percent, double capacity_wh) { return soc_percent / 100.0 * capacity_wh; }

}  // namespace solgrid::domain
