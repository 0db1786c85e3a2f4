#include "watchdog.h"

namespace solgrid_fw {

void backend_watchdog::start(std::uint32_t now_ms) {
    last_heard_ms_ = now_ms;
    tripped_ = false;
}

void backend_watchdog::heard(std::uint32_t now_ms) {
    last_heard_ms_ = now_ms;
    tripped_ = false;
}

bool backend_watchdog::should_trip(std::uint32_t now_ms) {
    if (timeout_ms_ == 0 || tripped_) return false;
    // Unsigned subtraction is right across a millis() wrap.
    if (static_cast<std::uint32_t>(now_ms - last_heard_ms_) < timeout_ms_) return false;
    tripped_ = true;
    return true;
}

}  // namespace solgrid_fw
