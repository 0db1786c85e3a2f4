// The physics of the virtual Arduino (`solgrid simulate`), kept pure so it
// can be tested without a clock or a network:
//   - solar W follows a clear-sky daylight curve by local time of day (day
//     length by season), dimmed by a slowly drifting cloud cover (a
//     mean-reverting random walk) and a little fast flicker;
//   - lux is the same irradiance seen by a light sensor (so it agrees with
//     solar W: zero at night, ~120 klx under a clear noon sun);
//   - the battery integrates solar in minus the loads of the households
//     whose relays are on, with charge/discharge losses, clamped to empty
//     and full; SoC is its percentage;
//   - each household's meter counts the energy it actually drew (its load
//     while its relay is on, less what an empty battery could not supply):
//     cumulative Wh, as the sensor post's meter_wh carries them.
// A sim_model is a plain value, not thread-safe; the simulator owns one.
#pragma once

#include "domain/types.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace solgrid::simulator {

struct sim_model_options {
    double panel_w = 1500.0;        // output under a clear noon sun
    double capacity_wh = 10000.0;   // the community battery
    std::array<double, 4> loads_w{350.0, 250.0, 300.0, 200.0};  // households A–D while their relay is on
    double initial_soc = 60.0;      // percent
    double efficiency = 0.95;       // each way, charging and discharging
    double solar_noon_h = 12.5;     // local clock time of the sun's highest point
    double cloudiness = 0.3;        // mean cloud cover, 0 (clear) .. 1 (overcast)
};

// A moment on the simulated clock: monotonic seconds for integration, and
// the local time of day and day of year for the sun.
struct sim_time {
    double seconds = 0.0;
    double local_hour = 12.0;  // 0 ≤ h < 24
    int day_of_year = 172;     // 0 = 1 January
};

// Local wall-clock reading of `t` (TZ of the process).
sim_time to_sim_time(domain::time_point t);

// The simulated clock: starts at `start` and runs `speed` times as fast as
// the real time elapsed since.
struct sim_clock {
    domain::time_point start;
    double speed = 1.0;

    domain::time_point at(std::chrono::steady_clock::duration elapsed) const {
        auto scaled = std::chrono::duration<double>(elapsed) * speed;
        return start + std::chrono::duration_cast<domain::clock::duration>(scaled);
    }
};

// Today's date (local) at `hour` o'clock, for a simulation that starts at noon.
domain::time_point today_at(double hour);

// Hours of daylight on `day_of_year` at a mid-northern latitude (≈ Seoul):
// about 14.7 h at the June solstice, 9.6 h at the December one.
double day_length_h(int day_of_year);

// Clear-sky output as a fraction of peak (0 at night, 1 at noon in June).
double clear_sky_fraction(double local_hour, int day_of_year, double solar_noon_h);

// Illuminance for an irradiance fraction of a clear noon sun.
inline constexpr double lux_at_full_sun = 120000.0;

struct sim_sample {
    int soc = 0;
    double solar_w = 0.0;
    double lux = 0.0;
    double energy_wh = 0.0;
    double load_w = 0.0;
    double cloud_cover = 0.0;
    std::array<double, 4> meter_wh{};  // cumulative Wh drawn per household A–D
};

class sim_model {
public:
    sim_model(sim_model_options opts, std::uint32_t seed, sim_time start);

    // Integrates from the last time to `now` with `relays` held constant
    // (call it before changing the relays so the past is billed right).
    void advance(const sim_time& now, const domain::relay_state& relays);

    // What the sensors read now (with fast flicker on solar W and lux).
    sim_sample sample(const domain::relay_state& relays);

    double load_w(const domain::relay_state& relays) const;
    double energy_wh() const { return energy_wh_; }
    // Cumulative Wh each household drew since the model started (never decreases).
    const std::array<double, 4>& meter_wh() const { return meter_wh_; }
    double cloud_cover() const { return cloud_; }
    const sim_model_options& options() const { return opts_; }

private:
    double solar_w_at(double local_hour, int day_of_year) const;
    void step(double dt_s, double local_hour, int day_of_year, const domain::relay_state& relays);

    sim_model_options opts_;
    std::mt19937 rng_;
    std::normal_distribution<double> normal_{0.0, 1.0};
    sim_time now_;
    double energy_wh_;
    double cloud_;
    std::array<double, 4> meter_wh_{};
};

}  // namespace solgrid::simulator
