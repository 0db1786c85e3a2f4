// Per-household energy meters (build option SOLGRID_METERS): the sketch
// samples each household feed's voltage and current (an INA219 per relay)
// every few hundred ms; this integrates the power into cumulative Wh
// counters, which the sensor post carries as "meter_wh". Counters start at 0
// at boot: the server treats a counter that went down as a restart and
// counts from the new value. Times are Arduino millis() (uint32, wrap-safe).
// Plain value, single-threaded (the sketch's loop()). Portable C++17.
#pragma once

#include "protocol.h"

#include <cstdint>

namespace solgrid_fw {

class energy_meters {
public:
    // A step longer than `max_step_ms` (the loop stalled, WiFi blocked)
    // counts only `max_step_ms` at the later power; currents below
    // `noise_floor_a` (a sensor's offset with nothing drawing) count as 0.
    explicit energy_meters(std::uint32_t max_step_ms = 5000, float noise_floor_a = 0.02f)
        : max_step_ms_(max_step_ms), noise_floor_a_(noise_floor_a) {}

    // One sample of every channel at `now_ms`: power = volts x amps of the
    // households whose relay is on (0 when off, negative or not finite),
    // integrated by the trapezoid rule from the previous sample. The first
    // sample only starts the clock.
    void sample(std::uint32_t now_ms, const float volts[household_count], const float amps[household_count],
                const relay_set& relays);

    // Cumulative Wh of `household` (0..3) since boot; never decreases.
    double wh(int household) const { return wh_[household]; }
    const double* counters() const { return wh_; }

private:
    std::uint32_t max_step_ms_;
    float noise_floor_a_;
    bool started_ = false;
    std::uint32_t last_ms_ = 0;
    double last_w_[household_count] = {0, 0, 0, 0};
    double wh_[household_count] = {0, 0, 0, 0};
};

}  // namespace solgrid_fw
