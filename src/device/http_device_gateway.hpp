// domain::device_gateway over HTTP to ARDUINO_URL: POST /relay with the
// command, GET /status for a probe, each one attempt on a fresh connection
// bounded by `timeout` (device/http_client). Stateless apart from its
// settings, so any number of coroutines on any executors may use it at once.
#pragma once

#include "device/http_client.hpp"
#include "domain/device_gateway.hpp"

namespace solgrid::device {

class http_device_gateway final : public domain::device_gateway {
public:
    http_device_gateway(base_url url, std::chrono::milliseconds timeout) : url_(std::move(url)), timeout_(timeout) {}

    // Throws domain::device_error for a failed attempt (unreachable, timeout,
    // non-2xx status, or a reply whose relay report is malformed). A 2xx reply
    // without a relay report (a device that only says "OK") counts as having
    // applied the command.
    asio::awaitable<domain::relay_report> send_relays(domain::relay_command cmd) override;
    asio::awaitable<domain::device_probe> probe() override;

    const base_url& url() const { return url_; }

private:
    base_url url_;
    std::chrono::milliseconds timeout_;
};

}  // namespace solgrid::device
