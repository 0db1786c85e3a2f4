// One WebSocket of a session: the one carrying it, or the probe of a
// polling session's upgrade. Owns the socket, the frame parser, control
// frames written ahead of packets, the bytes the kernel has not taken yet
// and the close handshake; reads (readiness-driven, and the 2probe/3probe/5
// upgrade: session_websocket.cpp) and writes (one gathered sendmsg for all
// that is queued, behind which the direct path and io_uring batches of
// session_write.cpp write to an idle socket). The queue, the inbox lock
// (session::direct_fd_) and the state machine stay with its session, which
// it works for and calls back (on_packet, close, the upgrade's steps).
//
// Thread: the session's strand. Other threads only write bytes to its fd,
// under the inbox lock, never touch this object.
// Failure: EOF, a read error or a protocol error ends it (the session
// closes, or a failed probe is dropped and polling goes on); a write error
// stops it at once; a peer that never reads our close frame loses the
// socket after 2 s (the session's timer, abort()).
#pragma once

#include "engineio/session.hpp"
#include "net/ws_codec.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace solgrid::engineio {

class websocket_transport : public std::enable_shared_from_this<websocket_transport> {
public:
    websocket_transport(session& owner, tcp::socket s, std::size_t max_payload)
        : owner_(owner), socket_(std::move(s)), parser_(max_payload) {}

    // Keeps the connection's MAX_CONNECTIONS slot (net::request_info) until
    // the socket closes.
    void hold(std::shared_ptr<void> slot) { slot_ = std::move(slot); }
    // Starts reading, and writes what is owed already.
    void start();
    // True while it carries its session (not a probe, not dropped).
    bool carries() const {
        return owner_.ws_.get() == this && owner_.transport_ == session::transport_kind::websocket;
    }
    // The session closes for `r`: what is queued goes out, then a close
    // frame with the code `r` calls for. Call flush() after.
    void close_for(close_reason r);
    // A peer that did not read our close frame: drop the socket.
    void abort();
    // Writes every queued frame now (control frames, then the session's
    // queue if it carries it, then a close frame if closing) in one gathered
    // non-blocking send; only what the kernel refuses goes on through an
    // async write. Idle afterwards, it hands its fd to the direct path.
    void flush();

private:
    void read();
    void on_readable(boost::system::error_code ec);
    void on_text(std::string&& text);
    // It ended (peer closed, failed, or broke the protocol).
    void end(close_reason r);
    // A write failed or the close frame went out: the socket is done.
    void stop();

    session& owner_;  // outlives it: every handler holding it holds the session too
    tcp::socket socket_;
    net::ws::frame_parser parser_;
    std::vector<std::string> control_;  // encoded control/probe frames, written first
    std::string pending_;               // bytes the kernel did not take yet
    bool writing_ = false;              // an async write of `pending_` is under way
    bool closing_ = false;              // write a close frame after what is queued, then stop
    bool close_sent_ = false;
    std::uint16_t close_code_ = net::ws::close_code::normal;
    bool stopped_ = false;
    std::shared_ptr<void> slot_;
};

}  // namespace solgrid::engineio
