// The port through which the domain talks to the Arduino at ARDUINO_URL:
// send it the desired relay state, and ask it how it is. Implemented by
// device::http_device_gateway; app/ wires it in. Each call is one attempt
// bounded by the implementation's timeout; retrying is the caller's choice
// (see device_commander). Any executor may await it; it never blocks a thread.
#pragma once

#include "domain/types.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace solgrid::domain {

namespace asio = boost::asio;

// A desired relay state and its version. Versions only grow, so a device
// (and the server) can tell a newer command from an older one that arrives
// late; they are seeded from the wall clock so they keep growing across
// server restarts.
struct relay_command {
    relay_state state;
    std::int64_t version = 0;
};

// What a device said about its relays: the state it applied and, if it
// tracks them, the version of the command it applied last.
struct relay_report {
    relay_state state;
    std::optional<std::int64_t> version;
};

// One attempt failed: not reachable, timed out, answered an error status or
// something that was not a relay report. what() is a sentence for people.
class device_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The answer to an active health probe.
struct device_probe {
    bool reachable = false;
    std::chrono::milliseconds latency{0};
    boost::json::value report;  // the device's own /status document (null if none)
    std::string error;          // why it was not reachable
};

class device_gateway {
public:
    virtual ~device_gateway() = default;

    // Sends `cmd` to the device; returns the state it reports back. Throws
    // device_error if this attempt failed.
    virtual asio::awaitable<relay_report> send_relays(relay_command cmd) = 0;

    // Asks the device for its status; never throws for device failures
    // (they come back as reachable = false with an error).
    virtual asio::awaitable<device_probe> probe() = 0;
};

}  // namespace solgrid::domain
