#include "domain/device_health.hpp"

#include <algorithm>

namespace solgrid::domain {

std::string_view to_string(device_state s) {
    switch (s) {
        case device_state::unknown: return "unknown";
        case device_state::online: return "online";
        case device_state::offline: return "offline";
    }
    return "unknown";
}

device_health::device_health(std::chrono::milliseconds interval, int offline_after, steady::time_point started)
    : interval_(std::max(interval, std::chrono::milliseconds(1))),
      offline_after_(std::max(offline_after, 1)),
      started_(started),
      since_(started) {}

bool device_health::seen(steady::time_point now) {
    if (!last_seen_ || now > *last_seen_) last_seen_ = now;
    if (state_ == device_state::online) return false;
    state_ = device_state::online;
    since_ = now;
    return true;
}

device_health::steady::time_point device_health::deadline() const { return last_seen_.value_or(started_) + offline_timeout(); }

bool device_health::gone(steady::time_point now) {
    if (state_ == device_state::offline) return false;
    state_ = device_state::offline;
    since_ = now;
    return true;
}

bool device_health::tick(steady::time_point now) {
    if (state_ == device_state::offline || now < deadline()) return false;
    state_ = device_state::offline;
    since_ = deadline();
    return true;
}

}  // namespace solgrid::domain
