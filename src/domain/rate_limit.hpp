// Rate limits kept in memory: a token bucket per key (a device token, a
// client address) and a sliding window of failures per key (failed logins
// per username and per address). Any thread (one mutex each, never held
// across anything but a map lookup). Keys idle for long are forgotten so
// an attacker cycling through addresses cannot grow them without bound
// beyond `max_keys` (the oldest entries are dropped first).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace solgrid::domain {

using steady = std::chrono::steady_clock;

class token_buckets {
public:
    // `rate` tokens per second refill up to `burst`.
    token_buckets(double rate, double burst, std::size_t max_keys = 100000)
        : rate_(rate), burst_(burst), max_keys_(max_keys) {}

    // Takes one token for `key`: nullopt if allowed, else how long until one is there.
    std::optional<std::chrono::seconds> take(const std::string& key, steady::time_point now = steady::now());

private:
    struct bucket {
        double tokens;
        steady::time_point at;
    };
    void prune_locked(steady::time_point now);

    double rate_, burst_;
    std::size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

class failure_window {
public:
    failure_window(int max_failures, std::chrono::seconds window, std::size_t max_keys = 100000)
        : max_(max_failures), window_(window), max_keys_(max_keys) {}

    // nullopt while `key` has fewer than max failures within the window;
    // else how long until the oldest of them leaves it.
    std::optional<std::chrono::seconds> blocked(const std::string& key, steady::time_point now = steady::now());
    void fail(const std::string& key, steady::time_point now = steady::now());
    void clear(const std::string& key);

private:
    void expire_locked(std::deque<steady::time_point>& q, steady::time_point now) const;

    int max_;
    std::chrono::seconds window_;
    std::size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::deque<steady::time_point>> failures_;
};

}  // namespace solgrid::domain
