// Retry delays for device commands: exponential backoff with a cap and
// jitter, so a device that comes back is not hit by every retry at once and
// a dead one is not hammered. Pure; any thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace solgrid::domain {

struct backoff_policy {
    std::chrono::milliseconds base{250};  // delay after the first failure
    std::chrono::milliseconds cap{4000};  // never wait longer than this
    double jitter = 0.2;                  // ± this fraction, spread by `unit`
};

// The wait before retry number `attempt` (1 = after the first failure):
// base · 2^(attempt−1), capped, then scaled by 1 + jitter·(2·unit − 1) where
// `unit` is a uniform random number in [0, 1). Never negative.
inline std::chrono::milliseconds backoff_delay(const backoff_policy& p, int attempt, double unit) {
    double ms = static_cast<double>(p.base.count()) * std::pow(2.0, std::max(attempt, 1) - 1);
    ms = std::min(ms, static_cast<double>(p.cap.count()));
    double j = std::clamp(p.jitter, 0.0, 1.0);
    ms *= 1.0 + j * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
    return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, std::round(ms))));
}

}  // namespace solgrid::domain
