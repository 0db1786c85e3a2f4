// Is the Arduino online? A pure state machine over "it posted at t" and "the
// time is now t": unknown until the first post (or until the offline
// timeout passes after start), online while posts keep coming, offline once
// `offline_after` posting intervals pass without one. Times are steady-clock
// (wall-clock jumps must not flip it). Not thread-safe: device_monitor owns
// one under its mutex.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace solgrid::domain {

enum class device_state { unknown, online, offline };
std::string_view to_string(device_state s);

class device_health {
public:
    using steady = std::chrono::steady_clock;

    // `interval`: how often the device posts; offline after `offline_after`
    // of them are missed (so after interval × offline_after of silence).
    device_health(std::chrono::milliseconds interval, int offline_after, steady::time_point started);

    // A post arrived at `now`. Returns true if the state changed.
    bool seen(steady::time_point now);
    // The device said it is gone (its MQTT last will). Returns true if the state changed.
    bool gone(steady::time_point now);
    // Time passed. Returns true if the state changed (went offline).
    bool tick(steady::time_point now);

    device_state state() const { return state_; }
    std::optional<steady::time_point> last_seen() const { return last_seen_; }
    // When the current state began.
    steady::time_point since() const { return since_; }
    std::chrono::milliseconds interval() const { return interval_; }
    int offline_after() const { return offline_after_; }
    std::chrono::milliseconds offline_timeout() const { return interval_ * offline_after_; }
    // The moment tick() would turn it offline, if nothing is seen before.
    steady::time_point deadline() const;

private:
    std::chrono::milliseconds interval_;
    int offline_after_;
    steady::time_point started_;
    steady::time_point since_;
    std::optional<steady::time_point> last_seen_;
    device_state state_ = device_state::unknown;
};

}  // namespace solgrid::domain
