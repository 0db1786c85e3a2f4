// Pushes the desired relay state to the device at ARDUINO_URL: one command
// in flight at a time, retried with backoff up to `max_attempts`, and the
// newest state wins (a newer submit() ends the wait for a retry and replaces
// the command; intermediate states are never sent). Progress goes to
// relay_service, which makes it visible (pending / retrying / failed).
// submit() and stop() may be called from any thread and never block; the
// loop runs as one coroutine on the commander's own strand after start().
#pragma once

#include "domain/device_backoff.hpp"
#include "domain/device_gateway.hpp"
#include "domain/relay_service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <random>

namespace solgrid::domain {

class device_commander {
public:
    struct options {
        int max_attempts = 4;
        backoff_policy backoff;
    };

    device_commander(asio::any_io_executor ex, device_gateway& gateway, relay_service& relays, options opts);

    // Spawns the loop (once).
    void start();
    // Queues `cmd` unless a newer one is already queued or in flight.
    void submit(relay_command cmd);
    // Ends the loop after the attempt in flight (which has its own timeout).
    void stop();

private:
    asio::awaitable<void> run();
    bool superseded(std::int64_t version) const { return next_ && next_->version > version; }

    asio::strand<asio::any_io_executor> strand_;
    device_gateway& gateway_;
    relay_service& relays_;
    options opts_;
    // Touched only on strand_.
    asio::steady_timer wake_;
    std::optional<relay_command> next_;
    std::int64_t newest_ = 0;
    std::minstd_rand rng_{std::random_device{}()};
    std::atomic<bool> stopping_{false};
};

}  // namespace solgrid::domain
