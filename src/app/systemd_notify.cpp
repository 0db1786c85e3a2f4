#include "app/systemd_notify.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace solgrid::app {

namespace {

void send(const std::string& state) {
    if (!systemd_notify_enabled()) return;
    int rc = sd_notify(0, state.c_str());
    static std::atomic<bool> warned{false};
    if (rc < 0 && !warned.exchange(true))
        spdlog::warn("systemd notify ({}) failed: {}", state.substr(0, state.find('\n')), std::strerror(-rc));
}

}  // namespace

bool systemd_notify_enabled() {
    const char* s = std::getenv("NOTIFY_SOCKET");
    return s && *s;
}

void systemd_notify_ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }

void systemd_notify_stopping(const std::string& status) { send("STOPPING=1\nSTATUS=" + status); }

std::chrono::microseconds systemd_watchdog_interval() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::chrono::microseconds{0};
    return std::chrono::microseconds{usec / 2};
}

boost::asio::awaitable<void> systemd_watchdog_pings(std::chrono::microseconds interval) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) {
        send("WATCHDOG=1");
        timer.expires_after(interval);
        boost::system::error_code ec;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) co_return;
    }
}

}  // namespace solgrid::app
