// The backend watchdog: when the backend has not been heard from (no
// successful sensor post, no command) for `timeout_ms`, the firmware turns
// every relay off once, so households are not left on a battery nobody
// watches. The backend's next reply carries the desired state again and
// restores it. Times are Arduino millis() (uint32, wrapping every ~49.7
// days; the arithmetic is wrap-safe). timeout 0 disables it. Plain value,
// single-threaded (the sketch's loop()). Portable C++17.
#pragma once

#include <cstdint>

namespace solgrid_fw {

class backend_watchdog {
public:
    explicit backend_watchdog(std::uint32_t timeout_ms) : timeout_ms_(timeout_ms) {}

    // Start counting (at boot): the backend gets one full timeout to answer.
    void start(std::uint32_t now_ms);
    // The backend answered (a 2xx post reply, or a command).
    void heard(std::uint32_t now_ms);
    // True exactly once per silence longer than the timeout: turn relays off now.
    bool should_trip(std::uint32_t now_ms);

    bool tripped() const { return tripped_; }
    std::uint32_t silent_ms(std::uint32_t now_ms) const { return now_ms - last_heard_ms_; }
    std::uint32_t timeout_ms() const { return timeout_ms_; }

private:
    std::uint32_t timeout_ms_;
    std::uint32_t last_heard_ms_ = 0;
    bool tripped_ = false;
};

}  // namespace solgrid_fw
