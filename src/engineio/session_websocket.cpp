// The WebSocket transport of a session, reading side: taking a socket over,
// the readiness-driven reads and frame parsing, the 2probe/3probe/5
// upgrade, and the end of a WebSocket. Writes are in session_write.cpp.
// Strand only.
#include "engineio/session.hpp"

#include "engineio/session_ws_state.hpp"
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

void session::attach_websocket(tcp::socket socket, bool probe) {
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    auto ws = std::make_shared<ws_state>(std::move(socket), cfg_.max_payload);
    ws_ = ws;
    if (!probe) transport_ = transport_kind::websocket;
    read_ws(ws);
    flush_ws(ws);
}

void session::on_ws_text(const std::shared_ptr<ws_state>& ws, std::string&& text) {
    if (transport_ == transport_kind::polling) {
        // The probe of an upgrade: 2probe → 3probe, then 5 switches over.
        if (text == "2probe") {
            ws->control.push_back(net::ws::encode_frame(net::ws::opcode::text, "3probe"));
            flush_ws(ws);
            upgrade_ = upgrade::probed;
            polling_.release_with(release::noop);
        } else if (text == "5" && upgrade_ == upgrade::probed) {
            upgrade_ = upgrade::none;
            transport_ = transport_kind::websocket;
            polling_.release_with(release::noop);
            flush_ws(ws);  // flush whatever polling had queued
        } else {
            // Anything else during a probe: drop the probe, keep polling.
            ws->closing = true;
            flush_ws(ws);
            ws_.reset();
            upgrade_ = upgrade::none;
        }
        return;
    }
    auto p = decode_text(text);
    if (!p) {
        close(close_reason::parse_error);
        return;
    }
    on_packet(std::move(*p), true);
}

void session::end_ws(const std::shared_ptr<ws_state>& ws, close_reason r) {
    if (ws_ == ws && transport_ == transport_kind::websocket) {
        close(r);  // closes the session, which flushes and sends the close frame
        return;
    }
    // A probe that failed: drop it, the session goes on polling.
    ws->closing = true;
    flush_ws(ws);
    if (ws_ == ws) {
        ws_.reset();
        upgrade_ = upgrade::none;
    }
}

void session::read_ws(const std::shared_ptr<ws_state>& ws) {
    // A readiness wait, not a read: an idle connection holds no buffer and
    // no coroutine frame, only this small handler.
    ws->socket.async_wait(tcp::socket::wait_read,
                          asio::bind_executor(strand_, [self = shared_from_this(), ws](boost::system::error_code ec) {
                              self->on_ws_readable(ws, ec);
                          }));
}

void session::on_ws_readable(const std::shared_ptr<ws_state>& ws, boost::system::error_code ec) {
    if (ws->stopped || ws->closing) return;
    std::size_t n = 0;
    if (!ec) {
        auto& buf = read_buffer();
        n = ws->socket.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            read_ws(ws);
            return;
        }
    }
    if (ec) {
        end_ws(ws, close_reason::transport_close);  // EOF or error, no close frame
        return;
    }
    thread_local std::vector<net::ws::event> events;  // handled below without suspending
    events.clear();
    auto code = ws->parser.feed(std::string_view(read_buffer().data(), n), events);
    for (auto& e : events) {
        if (ws->closing) break;
        switch (e.type) {
        case net::ws::event::text:
            on_ws_text(ws, std::move(e.data));
            break;
        case net::ws::event::binary:
            if (ws_ == ws && transport_ == transport_kind::websocket)
                on_packet(packet{packet_type::message, std::move(e.data), true}, true);
            break;
        case net::ws::event::ping:
            ws->control.push_back(net::ws::encode_frame(net::ws::opcode::pong, e.data));
            flush_ws(ws);
            break;
        case net::ws::event::pong:
            break;
        case net::ws::event::close:
            ws->close_code = e.code == 1005 ? net::ws::close_code::normal : e.code;
            end_ws(ws, close_reason::transport_close);
            break;
        }
    }
    events.clear();
    if (code && !ws->closing) {
        ws->close_code = code;
        end_ws(ws, close_reason::parse_error);
    }
    if (!ws->closing && !ws->stopped) read_ws(ws);
}

}  // namespace solgrid::engineio
