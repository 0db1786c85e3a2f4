#include "engineio/session.hpp"

#include "net/ws_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace solgrid::engineio {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

const outgoing_ptr& ping_packet() {
    static const outgoing_ptr p = make_packet(packet_type::ping);
    return p;
}

// Scratch space for one read; used only between two suspension points, so a
// per-thread buffer serves every connection and idle ones hold none.
std::vector<char>& read_buffer() {
    thread_local std::vector<char> buf(64 * 1024);
    return buf;
}

}  // namespace

std::string_view to_string(close_reason r) {
    switch (r) {
    case close_reason::transport_close: return "transport close";
    case close_reason::transport_error: return "transport error";
    case close_reason::ping_timeout: return "ping timeout";
    case close_reason::forced_close: return "forced close";
    case close_reason::server_close: return "forced server close";
    case close_reason::parse_error: return "parse error";
    case close_reason::slow_client: return "transport error";
    case close_reason::server_shutdown: return "server shutting down";
    }
    return "transport error";
}

struct session::ws_state {
    ws_state(tcp::socket s, std::size_t max, strand_type ex) : socket(std::move(s)), parser(max), wake(ex) {}
    tcp::socket socket;
    net::ws::frame_parser parser;
    asio::steady_timer wake;
    std::vector<std::string> control;  // encoded control/probe frames, written first
    bool closing = false;              // write a close frame after what is queued, then stop
    std::uint16_t close_code = net::ws::close_code::normal;
    bool stopped = false;
};

session::session(strand_type strand, std::string id, const settings& cfg, session_handler& handler,
                 handshake_info info, std::function<void(const std::string&)> on_gone)
    : strand_(strand),
      id_(std::move(id)),
      cfg_(cfg),
      handler_(handler),
      info_(std::move(info)),
      on_gone_(std::move(on_gone)),
      heartbeat_(strand) {}

session::~session() = default;

void session::send(outgoing_ptr p) {
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_closed_) return;
        inbox_.push_back(std::move(p));
        if (drain_posted_) return;
        drain_posted_ = true;
    }
    asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

void session::drain_inbox() {
    std::vector<outgoing_ptr> batch;
    {
        std::lock_guard lock(inbox_mutex_);
        batch.swap(inbox_);
        drain_posted_ = false;
    }
    if (closed_) return;
    if (queue_.empty() && batch.size() <= cfg_.max_queued) {
        queue_.swap(batch);
    } else {
        for (auto& p : batch) queue_.push_back(std::move(p));
    }
    if (queue_.size() > cfg_.max_queued) {
        close(close_reason::slow_client);
        return;
    }
    wake();
}

void session::enqueue(outgoing_ptr p) {
    if (closed_) return;
    queue_.push_back(std::move(p));
    wake();
}

void session::wake() {
    if (transport_ == transport_kind::polling) {
        if (poll_wait_) poll_wait_->cancel();
    } else if (ws_) {
        ws_->wake.cancel();
    }
}

void session::close(close_reason r) {
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_closed_) return;
        inbox_closed_ = true;
    }
    asio::dispatch(strand_, [self = shared_from_this(), r] { self->finish_close(r); });
}

void session::finish_close(close_reason r) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();
    heartbeat_.cancel();
    if (poll_wait_) {
        // The client's own close is answered with a noop; ours with a close packet.
        if (!poll_answer_) poll_answer_ = r == close_reason::forced_close ? "6" : "1";
        poll_wait_->cancel();
    }
    if (ws_) {
        ws_->closing = true;
        if (r == close_reason::parse_error) ws_->close_code = net::ws::close_code::protocol_error;
        if (r == close_reason::slow_client) ws_->close_code = net::ws::close_code::policy_violation;
        if (r == close_reason::server_shutdown) ws_->close_code = net::ws::close_code::going_away;
        if (r == close_reason::slow_client || r == close_reason::transport_error) queue_.clear();
        ws_->wake.cancel();
        // A client that does not read our close frame loses the socket anyway.
        heartbeat_.expires_after(std::chrono::seconds(2));
        heartbeat_.async_wait([self, ws = ws_](boost::system::error_code ec) {
            if (ec || ws->stopped) return;
            boost::system::error_code ignored;
            ws->socket.close(ignored);
        });
    }
    if (r == close_reason::forced_close && transport_ == transport_kind::polling && !poll_wait_) {
        linger_ = true;
        heartbeat_.expires_after(std::chrono::seconds(1));
        heartbeat_.async_wait([self](boost::system::error_code) {
            if (self->linger_) {
                self->linger_ = false;
                self->on_gone_(self->id_);
            }
        });
    } else {
        on_gone_(id_);
    }
    handler_.on_close(self, r);
    attachment.reset();
}

void session::start_heartbeat() { arm_heartbeat(true); }

void session::arm_heartbeat(bool ping_phase) {
    if (closed_) return;
    heartbeat_.expires_after(ping_phase ? cfg_.ping_interval : cfg_.ping_timeout);
    heartbeat_.async_wait([self = shared_from_this(), ping_phase](boost::system::error_code ec) {
        if (ec || self->closed_) return;
        if (ping_phase) {
            self->pong_pending_ = true;
            self->enqueue(ping_packet());
            self->arm_heartbeat(false);
        } else if (self->pong_pending_) {
            self->close(close_reason::ping_timeout);
        }
    });
}

void session::on_packet(packet&& p, bool from_websocket) {
    if (closed_) return;
    switch (p.type) {
    case packet_type::message:
        handler_.on_message(shared_from_this(), std::move(p));
        break;
    case packet_type::pong:
        if (pong_pending_) {
            pong_pending_ = false;
            arm_heartbeat(true);
        }
        break;
    case packet_type::ping:
        // Some microcontroller clients ping on their own: answer, don't close.
        enqueue(make_packet(packet_type::pong, p.data));
        break;
    case packet_type::close:
        close(close_reason::forced_close);
        break;
    case packet_type::noop:
        break;
    case packet_type::upgrade:
        if (!from_websocket) close(close_reason::parse_error);
        break;
    case packet_type::open:
        close(close_reason::parse_error);
        break;
    }
}

asio::awaitable<std::optional<std::string>> session::poll() {
    if (linger_) {
        linger_ = false;
        heartbeat_.cancel();
        on_gone_(id_);
        co_return std::string("6");
    }
    if (closed_ || transport_ != transport_kind::polling) co_return std::nullopt;
    if (poll_wait_) {
        // Overlapping GETs: the protocol says close; the held one gets "1".
        poll_answer_ = "1";
        close(close_reason::transport_error);
        co_return std::nullopt;
    }
    if (upgrading_) co_return std::string("6");
    if (queue_.empty()) {
        poll_wait_ = std::make_unique<asio::steady_timer>(strand_, asio::steady_timer::time_point::max());
        co_await poll_wait_->async_wait(use_tuple);
        poll_wait_.reset();
    }
    std::string answer;
    if (!queue_.empty() && (!closed_ || poll_answer_ == std::string_view("1"))) {
        answer = encode_payload(queue_);
        queue_.clear();
        if (closed_) answer += "\x1e" "1";
    } else if (poll_answer_) {
        answer = poll_answer_;
    } else {
        answer = "6";
    }
    poll_answer_ = nullptr;
    co_return answer;
}

std::string session::post(std::string_view body) {
    if (closed_) return "Session ID unknown";
    auto packets = decode_payload(body);
    if (!packets) {
        close(close_reason::parse_error);
        return "Bad request";
    }
    for (auto& p : *packets) on_packet(std::move(p), false);
    return {};
}

asio::awaitable<std::string> session::post_async(std::string body) {
    if (transport_ != transport_kind::polling) co_return std::string("Bad request");
    co_return post(body);
}

asio::awaitable<bool> session::can_upgrade() {
    co_return !closed_ && transport_ == transport_kind::polling && !ws_;
}

void session::attach_websocket(tcp::socket socket, bool probe) {
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    auto ws = std::make_shared<ws_state>(std::move(socket), cfg_.max_payload, strand_);
    ws_ = ws;
    if (!probe) transport_ = transport_kind::websocket;
    asio::co_spawn(strand_, ws_reader(ws), asio::detached);
    asio::co_spawn(strand_, ws_writer(ws), asio::detached);
}

void session::on_ws_text(const std::shared_ptr<ws_state>& ws, std::string&& text) {
    if (transport_ == transport_kind::polling) {
        // The probe of an upgrade: 2probe → 3probe, then 5 switches over.
        if (text == "2probe") {
            ws->control.push_back(net::ws::encode_frame(net::ws::opcode::text, "3probe"));
            ws->wake.cancel();
            upgrading_ = true;
            if (poll_wait_) {
                poll_answer_ = "6";
                poll_wait_->cancel();
            }
        } else if (text == "5" && upgrading_) {
            upgrading_ = false;
            transport_ = transport_kind::websocket;
            if (poll_wait_) {
                poll_answer_ = "6";
                poll_wait_->cancel();
            }
            ws->wake.cancel();  // flush whatever polling had queued
        } else {
            // Anything else during a probe: drop the probe, keep polling.
            ws->closing = true;
            ws->wake.cancel();
            ws_.reset();
            upgrading_ = false;
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

asio::awaitable<void> session::ws_reader(std::shared_ptr<ws_state> ws) {
    std::vector<net::ws::event> events;
    for (;;) {
        auto [ec] = co_await ws->socket.async_wait(tcp::socket::wait_read, use_tuple);
        if (ws->stopped || ws->closing) break;
        std::size_t n = 0;
        if (!ec) {
            auto& buf = read_buffer();
            n = ws->socket.read_some(asio::buffer(buf), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
            if (!ec) {
                events.clear();
                auto code = ws->parser.feed(std::string_view(buf.data(), n), events);
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
                        ws->wake.cancel();
                        break;
                    case net::ws::event::pong:
                        break;
                    case net::ws::event::close:
                        ws->close_code = e.code == 1005 ? net::ws::close_code::normal : e.code;
                        ws->closing = true;
                        ws->wake.cancel();
                        if (ws_ == ws && transport_ == transport_kind::websocket) close(close_reason::transport_close);
                        break;
                    }
                }
                if (code) {
                    ws->close_code = code;
                    ws->closing = true;
                    ws->wake.cancel();
                    if (ws_ == ws && transport_ == transport_kind::websocket) close(close_reason::parse_error);
                }
                if (events.capacity() > 16) std::vector<net::ws::event>().swap(events);
                continue;
            }
        }
        break;  // EOF or error
    }
    if (!ws->closing) {
        // The peer went away without a close frame.
        ws->closing = true;
        ws->wake.cancel();
        if (ws_ == ws && transport_ == transport_kind::websocket) close(close_reason::transport_close);
        else if (ws_ == ws) ws_.reset();  // a failed probe: keep polling
    }
}

asio::awaitable<void> session::ws_writer(std::shared_ptr<ws_state> ws) {
    std::vector<outgoing_ptr> batch;
    std::vector<std::string> control;
    std::vector<std::array<unsigned char, 10>> headers;
    std::vector<asio::const_buffer> buffers;
    for (;;) {
        bool active = ws_ == ws && transport_ == transport_kind::websocket;
        if (ws->control.empty() && (!active || queue_.empty())) {
            if (ws->closing) break;
            ws->wake.expires_at(asio::steady_timer::time_point::max());
            co_await ws->wake.async_wait(use_tuple);
            continue;
        }
        control.swap(ws->control);
        if (active) batch.swap(queue_);
        headers.resize(batch.size());
        buffers.clear();
        for (auto& c : control) buffers.push_back(asio::buffer(c));
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto n = net::ws::encode_header(headers[i].data(),
                                            batch[i]->binary ? net::ws::opcode::binary : net::ws::opcode::text,
                                            batch[i]->data.size());
            buffers.push_back(asio::buffer(headers[i].data(), n));
            buffers.push_back(asio::buffer(batch[i]->data));
        }
        // Every frame queued so far leaves in one gathered write.
        auto [ec, n] = co_await asio::async_write(ws->socket, buffers, use_tuple);
        control.clear();
        batch.clear();
        if (ec) {
            ws->closing = true;
            if (ws_ == ws && transport_ == transport_kind::websocket) close(close_reason::transport_error);
            break;
        }
        if (batch.capacity() > 64) {
            // Give a burst's memory back; idle connections stay small.
            std::vector<outgoing_ptr>().swap(batch);
            std::vector<std::array<unsigned char, 10>>().swap(headers);
            std::vector<asio::const_buffer>().swap(buffers);
        }
    }
    if (ws->socket.is_open()) {
        auto frame = net::ws::encode_frame(net::ws::opcode::close, net::ws::close_payload(ws->close_code));
        co_await asio::async_write(ws->socket, asio::buffer(frame), use_tuple);
        boost::system::error_code ignored;
        ws->socket.shutdown(tcp::socket::shutdown_both, ignored);
        ws->socket.close(ignored);
    }
    ws->stopped = true;
}

}  // namespace solgrid::engineio
