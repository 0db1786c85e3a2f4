// The WebSocket transport, reading side: a session taking a socket over,
// the readiness-driven reads and frame parsing, the 2probe/3probe/5 upgrade
// (its steps in the session's state machine: on_probe, on_upgraded,
// drop_probe), the close, and the end of a WebSocket. Writes are in
// session_write.cpp. Strand only.
#include "engineio/session.hpp"

#include "engineio/websocket_transport.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/bind_executor.hpp>

namespace solgrid::engineio {
namespace {

// Scratch space for one read; used only between two suspension points, so a
// per-thread buffer serves every connection and idle ones hold none.
std::vector<char>& read_buffer() {
    thread_local std::vector<char> buf(64 * 1024);
    return buf;
}

}  // namespace

void session::attach_websocket(tcp::socket socket, bool probe, std::shared_ptr<void> connection_slot) {
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    auto ws = std::make_shared<websocket_transport>(*this, std::move(socket), cfg_.max_payload);
    ws->hold(std::move(connection_slot));
    ws_ = ws;
    if (!probe) transport_ = transport_kind::websocket;
    ws->start();
}

void session::on_probe() {
    upgrade_ = upgrade::probed;
    polling_.release_with(release::noop);
}

void session::on_upgraded() {
    upgrade_ = upgrade::none;
    transport_ = transport_kind::websocket;
    polling_.release_with(release::noop);
}

void session::drop_probe() {
    ws_.reset();
    upgrade_ = upgrade::none;
}

void websocket_transport::start() {
    read();
    flush();
}

void websocket_transport::close_for(close_reason r) {
    closing_ = true;
    if (r == close_reason::parse_error && close_code_ == net::ws::close_code::normal)
        close_code_ = net::ws::close_code::protocol_error;
    if (r == close_reason::slow_client) close_code_ = net::ws::close_code::policy_violation;
    if (r == close_reason::server_shutdown) close_code_ = net::ws::close_code::going_away;
}

void websocket_transport::abort() {
    if (stopped_) return;
    boost::system::error_code ignored;
    socket_.close(ignored);
    slot_.reset();
}

void websocket_transport::on_text(std::string&& text) {
    if (owner_.transport_ == session::transport_kind::polling) {
        // The probe of an upgrade: 2probe → 3probe, then 5 switches over.
        if (text == "2probe") {
            control_.push_back(net::ws::encode_frame(net::ws::opcode::text, "3probe"));
            flush();
            owner_.on_probe();
        } else if (text == "5" && owner_.upgrade_ == session::upgrade::probed) {
            owner_.on_upgraded();
            flush();  // flush whatever polling had queued
        } else {
            // Anything else during a probe: drop the probe, keep polling.
            closing_ = true;
            flush();
            owner_.drop_probe();  // the read handler still holds this
        }
        return;
    }
    auto p = owner_.eio3() ? decode_text_v3(text) : decode_text(text);
    if (!p) {
        owner_.close(close_reason::parse_error);
        return;
    }
    owner_.on_packet(std::move(*p), true);
}

void websocket_transport::end(close_reason r) {
    if (carries()) {
        owner_.close(r);  // closes the session, which flushes and sends the close frame
        return;
    }
    // A probe that failed: drop it, the session goes on polling.
    closing_ = true;
    flush();
    if (owner_.ws_.get() == this) owner_.drop_probe();
}

void websocket_transport::read() {
    // A readiness wait, not a read: an idle connection holds no buffer and
    // no coroutine frame, only this small handler.
    socket_.async_wait(tcp::socket::wait_read,
                       asio::bind_executor(owner_.strand_, [self = owner_.shared_from_this(), ws = shared_from_this()](
                                                               boost::system::error_code ec) { ws->on_readable(ec); }));
}

void websocket_transport::on_readable(boost::system::error_code ec) {
    if (stopped_ || closing_) return;
    std::size_t n = 0;
    if (!ec) {
        auto& buf = read_buffer();
        n = socket_.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            read();
            return;
        }
    }
    if (ec) {
        end(close_reason::transport_close);  // EOF or error, no close frame
        return;
    }
    thread_local std::vector<net::ws::event> events;  // handled below without suspending
    events.clear();
    auto code = parser_.feed(std::string_view(read_buffer().data(), n), events);
    for (auto& e : events) {
        if (closing_) break;
        switch (e.type) {
        case net::ws::event::text:
            on_text(std::move(e.data));
            break;
        case net::ws::event::binary:
            if (!carries()) break;
            if (owner_.eio3()) {
                // v3: a binary frame starts with its packet type (4, message).
                if (e.data.empty() || e.data[0] != 4) {
                    owner_.close(close_reason::parse_error);
                    break;
                }
                e.data.erase(0, 1);
            }
            owner_.on_packet(packet{packet_type::message, std::move(e.data), true}, true);
            break;
        case net::ws::event::ping:
            control_.push_back(net::ws::encode_frame(net::ws::opcode::pong, e.data));
            flush();
            break;
        case net::ws::event::pong:
            break;
        case net::ws::event::close:
            close_code_ = e.code == 1005 ? net::ws::close_code::normal : e.code;
            end(close_reason::transport_close);
            break;
        }
    }
    events.clear();
    if (code && !closing_) {
        close_code_ = code;
        end(close_reason::parse_error);
    }
    if (!closing_ && !stopped_) read();
}

}  // namespace solgrid::engineio
