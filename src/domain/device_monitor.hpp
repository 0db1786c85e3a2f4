// The Arduino's health as the server sees it: each sensor post marks it seen,
// a timer turns it offline after DEVICE_OFFLINE_AFTER missed intervals, and
// every change of online/offline is published as `device_status` with the
// same document GET /api/arduino/status answers. Any thread may call seen()
// and status_json(); run() is one coroutine, spawned once by the app, that
// ends after stop().
#pragma once

#include "domain/device_health.hpp"
#include "domain/ports.hpp"

#include <atomic>
#include <mutex>

namespace solgrid::domain {

class device_monitor {
public:
    device_monitor(notifier& events, std::chrono::milliseconds interval, int offline_after);

    // A sensor post arrived from `address` (for display only).
    void seen(std::string address);
    // The device at `address` announced it is gone (an MQTT last will): offline now.
    void gone(std::string address);

    // Checks for silence a few times per interval until stop().
    asio::awaitable<void> run();
    void stop() { stopping_ = true; }

    // Applies the passage of time now (run() calls it; tests may too).
    void tick();

    bool online() const;
    // {"online","status","last_seen","since","seconds_since_seen","address",
    //  "posts","interval_s","offline_after","offline_timeout_s"}
    boost::json::object status_json() const;

private:
    boost::json::object status_json_locked() const;
    void publish_locked();

    notifier& events_;
    mutable std::mutex mutex_;
    device_health health_;
    std::optional<time_point> last_seen_wall_;
    std::string address_;
    std::uint64_t posts_ = 0;
    std::atomic<bool> stopping_{false};
};

}  // namespace solgrid::domain
