// Keeps a log line that can repeat many times a second (accept failing at the
// open-file limit, a database that is down) to one line per interval, and
// says how many were held back. Thread-safe; admit() never blocks for long.
//
//   static common::log_throttle throttle{std::chrono::seconds(10)};
//   if (auto held = throttle.admit())
//       spdlog::warn("accept failed: {}{}", ec.message(), common::suppressed_note(*held));
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

namespace solgrid::common {

class log_throttle {
public:
    using clock = std::chrono::steady_clock;

    explicit log_throttle(clock::duration interval) : interval_(interval) {}

    // nullopt: stay quiet. Otherwise log now; the value is how many calls
    // were kept quiet since the last line.
    std::optional<std::size_t> admit(clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        if (logged_ && now - last_ < interval_) {
            ++held_;
            return std::nullopt;
        }
        logged_ = true;
        last_ = now;
        auto held = held_;
        held_ = 0;
        return held;
    }

private:
    std::mutex mutex_;
    clock::duration interval_;
    clock::time_point last_{};
    bool logged_ = false;
    std::size_t held_ = 0;
};

// " (37 more like it since the last report)" or "" for none.
inline std::string suppressed_note(std::size_t held) {
    if (held == 0) return {};
    return " (" + std::to_string(held) + " more like it since the last report)";
}

}  // namespace solgrid::common
