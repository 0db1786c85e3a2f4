// Value types shared by the Socket.IO layer's public API.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace solgrid::engineio {
struct handshake_info;
}

namespace solgrid::socketio {

// Arguments of an event or an acknowledgement. Binary data travels as
// `attachments`, referred to from `args` by {"_placeholder":true,"num":n}.
struct payload {
    boost::json::array args;
    std::vector<std::string> attachments;
};

// What a connection middleware answers to refuse a client.
struct connect_error {
    std::string message;
    std::optional<boost::json::value> data;
};

struct handshake {
    boost::json::object auth;  // the CONNECT packet's payload ({} if none)
    std::string time;          // ISO-8601, when the socket connected
    // Query, origin, user agent and address of the underlying connection;
    // shared with the Engine.IO session (which outlives the socket), not
    // copied: thousands of idle clients should cost as little as possible.
    const engineio::handshake_info* transport = nullptr;
};

class socket;
using socket_ptr = std::shared_ptr<socket>;

// Sends the acknowledgement a client asked for; empty if it asked none.
// Callable once, from any thread.
using ack_sender = std::function<void(payload)>;

// An event from a client. Called on the socket's strand.
using event_handler = std::function<void(const socket_ptr&, payload&& args, ack_sender ack)>;

// The outcome of a server → client emit that asked for an acknowledgement:
// the client's arguments, or an error ("operation has timed out",
// "socket has been disconnected").
using ack_callback = std::function<void(std::optional<std::string> error, payload args)>;

}  // namespace solgrid::socketio
