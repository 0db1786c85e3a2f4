#include "meters.h"

#include <cmath>

namespace solgrid_fw {

void energy_meters::sample(std::uint32_t now_ms, const float volts[household_count],
                           const float amps[household_count], const relay_set& relays) {
    double w[household_count];
    for (int i = 0; i < household_count; ++i) {
        const double v = static_cast<double>(volts[i]), a = static_cast<double>(amps[i]);
        const bool usable = relays.on[i] && std::isfinite(v) && std::isfinite(a) && v > 0 &&
                            a >= static_cast<double>(noise_floor_a_);
        w[i] = usable ? v * a : 0.0;
    }
    if (started_) {
        std::uint32_t dt = now_ms - last_ms_;  // wrap-safe
        const bool stalled = dt > max_step_ms_;
        if (stalled) dt = max_step_ms_;
        const double hours = static_cast<double>(dt) / 3600000.0;
        for (int i = 0; i < household_count; ++i) {
            const double avg = stalled ? w[i] : (last_w_[i] + w[i]) / 2.0;
            wh_[i] += avg * hours;
        }
    }
    for (int i = 0; i < household_count; ++i) last_w_[i] = w[i];
    last_ms_ = now_ms;
    started_ = true;
}

}  // namespace solgrid_fw
