// The state of a session's WebSocket, shared by session.cpp (reading, the
// state machine) and session_write.cpp (every write to the socket).
// Private to src/engineio/.
#pragma once

#include "engineio/session.hpp"
#include "net/ws_codec.hpp"

#include <string>
#include <vector>

namespace solgrid::engineio {

struct session::ws_state {
    ws_state(tcp::socket s, std::size_t max) : socket(std::move(s)), parser(max) {}
    tcp::socket socket;
    net::ws::frame_parser parser;
    std::vector<std::string> control;  // encoded control/probe frames, written first
    std::string pending;               // bytes the kernel did not take yet
    bool writing = false;              // an async write of `pending` is under way
    bool closing = false;              // write a close frame after what is queued, then stop
    bool close_sent = false;
    std::uint16_t close_code = net::ws::close_code::normal;
    bool stopped = false;
};

}  // namespace solgrid::engineio
