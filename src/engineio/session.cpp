#include "engineio/session.hpp"

#include "engineio/session_ws_state.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>


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
        flush_ws(ws_);
    }
}

void session::close(close_reason r) {
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_closed_) return;
        inbox_closed_ = true;
        direct_fd_ = -1;
    }
    asio::dispatch(strand_, [self = shared_from_this(), r] { self->finish_close(r); });
}

void session::finish_close(close_reason r) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();
    {
        // What send() took just before this close (a DISCONNECT sent, then
        // the close, from this same strand) still goes out ahead of it.
        std::lock_guard lock(inbox_mutex_);
        for (auto& p : inbox_) queue_.push_back(std::move(p));
        inbox_.clear();
    }
    heartbeat_.cancel();
    if (poll_wait_) {
        // The client's own close is answered with a noop; ours with a close packet.
        if (poll_answer_ == release::none) poll_answer_ = r == close_reason::forced_close ? release::noop : release::close;
        poll_wait_->cancel();
    }
    if (ws_) {
        ws_->closing = true;
        if (r == close_reason::parse_error && ws_->close_code == net::ws::close_code::normal)
            ws_->close_code = net::ws::close_code::protocol_error;
        if (r == close_reason::slow_client) ws_->close_code = net::ws::close_code::policy_violation;
        if (r == close_reason::server_shutdown) ws_->close_code = net::ws::close_code::going_away;
        if (r == close_reason::slow_client || r == close_reason::transport_error) queue_.clear();
        flush_ws(ws_);
        // A client that does not read our close frame loses the socket anyway.
        heartbeat_.expires_after(std::chrono::seconds(2));
        heartbeat_.async_wait([self, ws = ws_](boost::system::error_code ec) {
            if (ec || ws->stopped) return;
            boost::system::error_code ignored;
            ws->socket.close(ignored);
        });
    }
    const bool polling = transport_ == transport_kind::polling;
    const bool drain = polling && !queue_.empty() &&
                       (r == close_reason::server_close || r == close_reason::server_shutdown);
    if ((r == close_reason::forced_close && polling && !poll_wait_) || drain) {
        // A drain answers the queue first and the close packet on a GET of
        // its own, as the reference server does: socket.io-client acts on a
        // close packet at once but on the packets before it a tick later, so
        // a DISCONNECT in the same payload would be taken for a network
        // failure (and the client would reconnect).
        linger_ = true;
        linger_answer_ = drain ? release::close : release::noop;
        heartbeat_.expires_after(drain ? std::max<std::chrono::milliseconds>(std::chrono::seconds(1), cfg_.ping_timeout)
                                       : std::chrono::seconds(1));
        heartbeat_.async_wait([self](boost::system::error_code) {
            if (self->linger_) {
                self->linger_ = false;
                self->on_gone_(self->id_);
            }
        });
    } else {
        on_gone_(id_);
    }
    // Released here: the listener's state refers back to this session.
    if (auto listener = std::move(listener_)) listener->on_close(self, r);
}

void session::open() {
    if (!closed_ && !listener_) listener_ = handler_.on_open(shared_from_this());
}

void session::start_heartbeat() { arm_heartbeat(true); }

std::string_view session::packet_of(release r) {
    static constexpr char close[] = {static_cast<char>(packet_type::close), 0};
    static constexpr char noop[] = {static_cast<char>(packet_type::noop), 0};
    return r == release::close ? close : noop;
}

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
        if (from_websocket && ws_) {
            // What the handler sends in answer (a CONNECT's reply and what
            // the connection handler emits, an ack, ...) leaves in one write:
            // the direct path is held while it runs, and what it queued is
            // flushed after. One packet on the wire instead of several, and
            // the client reads one answer.
            {
                std::lock_guard lock(inbox_mutex_);
                direct_fd_ = -1;
            }
            // A copy: the listener may close the session, which lets go of it.
            if (auto listener = listener_) listener->on_message(shared_from_this(), std::move(p));
            drain_inbox();  // also hands the fd back to the direct path if nothing was sent
        } else if (auto listener = listener_) {
            listener->on_message(shared_from_this(), std::move(p));
        }
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

asio::awaitable<boost::system::result<std::string>> session::poll() {
    if (linger_) {
        if (!queue_.empty()) {
            auto last = encode_payload(queue_);
            queue_.clear();
            co_return last;  // the close packet follows on the next GET
        }
        linger_ = false;
        heartbeat_.cancel();
        on_gone_(id_);
        co_return std::string(packet_of(linger_answer_));
    }
    // Closed meanwhile (between the registry's lookup and this strand):
    // the sid is gone, as if never seen.
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling) co_return make_error_code(error::bad_request);  // upgraded
    if (poll_wait_) {
        // Overlapping GETs: the protocol says close; the held one gets "1".
        poll_answer_ = release::close;
        close(close_reason::transport_error);
        co_return make_error_code(error::bad_request);
    }
    if (upgrading_) co_return std::string(packet_of(release::noop));
    if (queue_.empty()) {
        poll_wait_ = std::make_unique<asio::steady_timer>(strand_, asio::steady_timer::time_point::max());
        co_await poll_wait_->async_wait(use_tuple);
        poll_wait_.reset();
    }
    std::string answer;
    if (!queue_.empty() && (!closed_ || poll_answer_ == release::close)) {
        answer = encode_payload(queue_);
        queue_.clear();
        if (closed_ && !linger_) (answer += '\x1e') += packet_of(release::close);
    } else {
        answer = packet_of(poll_answer_ == release::none ? release::noop : poll_answer_);
    }
    poll_answer_ = release::none;
    co_return answer;
}

boost::system::error_code session::post(std::string_view body) {
    if (closed_) return error::unknown_sid;
    auto packets = decode_payload(body);
    if (!packets) {
        close(close_reason::parse_error);
        return error::bad_request;
    }
    for (auto& p : *packets) on_packet(std::move(p), false);
    return {};
}

asio::awaitable<boost::system::error_code> session::post_async(std::string body) {
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling) co_return make_error_code(error::bad_request);  // upgraded
    co_return post(body);
}

asio::awaitable<boost::system::error_code> session::can_upgrade() {
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling || ws_) co_return make_error_code(error::already_upgraded);
    co_return boost::system::error_code{};
}

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
            upgrading_ = true;
            if (poll_wait_) {
                poll_answer_ = release::noop;
                poll_wait_->cancel();
            }
        } else if (text == "5" && upgrading_) {
            upgrading_ = false;
            transport_ = transport_kind::websocket;
            if (poll_wait_) {
                poll_answer_ = release::noop;
                poll_wait_->cancel();
            }
            flush_ws(ws);  // flush whatever polling had queued
        } else {
            // Anything else during a probe: drop the probe, keep polling.
            ws->closing = true;
            flush_ws(ws);
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
        upgrading_ = false;
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
