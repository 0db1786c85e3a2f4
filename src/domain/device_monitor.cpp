#include "domain/device_monitor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace solgrid::domain {

using steady = std::chrono::steady_clock;

device_monitor::device_monitor(notifier& events, std::chrono::milliseconds interval, int offline_after)
    : events_(events), health_(interval, offline_after, steady::now()) {}

void device_monitor::seen(std::string address) {
    std::lock_guard lock(mutex_);
    ++posts_;
    last_seen_wall_ = clock::now();
    address_ = std::move(address);
    if (health_.seen(steady::now())) publish_locked();
}

void device_monitor::gone(std::string address) {
    std::lock_guard lock(mutex_);
    address_ = std::move(address);
    if (health_.gone(steady::now())) publish_locked();
}

void device_monitor::tick() {
    std::lock_guard lock(mutex_);
    if (health_.tick(steady::now())) publish_locked();
}

asio::awaitable<void> device_monitor::run() {
    // A quarter interval keeps the offline notice within that of the
    // deadline, at a negligible cost (one timer).
    auto period = std::clamp(health_.interval() / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stopping_) {
        timer.expires_after(period);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        tick();
    }
}

bool device_monitor::online() const {
    std::lock_guard lock(mutex_);
    return health_.state() == device_state::online;
}

boost::json::object device_monitor::status_json() const {
    std::lock_guard lock(mutex_);
    return status_json_locked();
}

boost::json::object device_monitor::status_json_locked() const {
    auto steady_now = steady::now();
    auto wall_now = clock::now();
    auto to_wall = [&](steady::time_point t) {
        return wall_now - std::chrono::duration_cast<clock::duration>(steady_now - t);
    };
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    boost::json::object o;
    o["online"] = health_.state() == device_state::online;
    o["status"] = to_string(health_.state());
    o["last_seen"] = last_seen_wall_ ? boost::json::value(to_iso8601(*last_seen_wall_)) : nullptr;
    if (auto seen = health_.last_seen())
        o["seconds_since_seen"] = std::round(secs(steady_now - *seen) * 1000.0) / 1000.0;
    else
        o["seconds_since_seen"] = nullptr;
    o["since"] = to_iso8601(to_wall(health_.since()));
    o["address"] = address_.empty() ? boost::json::value(nullptr) : boost::json::value(address_);
    o["posts"] = posts_;
    o["interval_s"] = secs(health_.interval());
    o["offline_after"] = health_.offline_after();
    o["offline_timeout_s"] = secs(health_.offline_timeout());
    return o;
}

void device_monitor::publish_locked() { events_.publish("device_status", status_json_locked()); }

}  // namespace solgrid::domain
