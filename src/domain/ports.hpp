// The ports the domain needs from the outside world. The domain owns these
// interfaces; storage/, socketio/ and device/ implement them and app/ wires
// them in. No Beast, SOCI or Socket.IO types cross this line.
#pragma once

#include "domain/types.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace solgrid::domain {

namespace asio = boost::asio;

// Raised by a store when the database cannot be reached; callers answer 503.
class storage_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Raised by a store when the database refused a row it was given (a CHECK
// or unique constraint): the input's fault, not the database's; callers
// answer 4xx and the database stays healthy.
class storage_refused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Sensor readings. Implementations run the database work off the network
// threads and resume the awaiting coroutine on its own executor.
class reading_store {
public:
    virtual ~reading_store() = default;
    // Returns once the row is committed (durable), with its id.
    virtual asio::awaitable<stored_reading> append(reading r, time_point at) = 0;
    virtual asio::awaitable<std::optional<stored_reading>> latest() = 0;
};

// Relay state history; the newest row is the current state.
class relay_store {
public:
    virtual ~relay_store() = default;
    virtual asio::awaitable<std::optional<relay_state>> current() = 0;
    virtual asio::awaitable<std::int64_t> append(relay_state s, time_point at, std::string source) = 0;
};

// Events leaving the domain for every connected client. Called from any
// thread; must not block (implementations queue and return).
class notifier {
public:
    virtual ~notifier() = default;
    virtual void publish(const std::string& event, const boost::json::value& payload) = 0;
    // To the clients in any of `rooms` ("household:A", "role:operator");
    // empty `rooms`: to everyone, as publish().
    virtual void publish_to(const std::vector<std::string>& rooms, const std::string& event,
                            const boost::json::value& payload) = 0;
};

}  // namespace solgrid::domain
