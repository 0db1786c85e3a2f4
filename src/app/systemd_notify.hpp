// systemd's notify protocol for `solgrid serve` under a Type=notify unit
// (deploy/solgrid.service): READY=1 once the listener is up, WATCHDOG=1 from
// the io loop while WatchdogSec= is set, STOPPING=1 at shutdown. Without
// NOTIFY_SOCKET (a checkout, a test) every call is a no-op; a failed send is
// logged once and never stops the server. Any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace solgrid::app {

// True when systemd (NOTIFY_SOCKET) listens for our notifications.
bool systemd_notify_enabled();

// "READY=1\nSTATUS=<status>".
void systemd_notify_ready(const std::string& status);

// "STOPPING=1\nSTATUS=<status>".
void systemd_notify_stopping(const std::string& status);

// Half of WATCHDOG_USEC when the service manager set a watchdog for this
// process (sd_watchdog_enabled), zero otherwise.
std::chrono::microseconds systemd_watchdog_interval();

// Sends WATCHDOG=1 every `interval` until the executor's io_context stops:
// if the io loop hangs, the pings stop and systemd restarts the service.
boost::asio::awaitable<void> systemd_watchdog_pings(std::chrono::microseconds interval);

}  // namespace solgrid::app
