// The session's core: its inbox and queue, heartbeat, packets from either
// transport, and the close. The transports: session_polling.cpp (held GETs
// through polling_transport, POSTs); websocket_transport, one WebSocket
// (session_websocket.cpp reads it and runs the upgrade, session_write.cpp
// holds every write to a WebSocket, the fast paths included).
#include "engineio/session.hpp"

#include "engineio/websocket_transport.hpp"
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

const outgoing_ptr& ping_packet() {
    static const outgoing_ptr p = make_packet(packet_type::ping);
    return p;
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
      heartbeat_(strand) {
    if (eio3()) polling_.use_v3(info_.b64);
}

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
        if (cfg_.counters) cfg_.counters->add(cfg_.counters->queue_drops, queue_.size());
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
        polling_.wake();
    } else if (ws_) {
        ws_->flush();
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
    if (cfg_.counters && static_cast<std::size_t>(r) < stats::reasons)
        cfg_.counters->add(cfg_.counters->closed_by_reason[static_cast<std::size_t>(r)]);
    auto self = shared_from_this();
    {
        // What send() took just before this close (a DISCONNECT sent, then
        // the close, from this same strand) still goes out ahead of it.
        std::lock_guard lock(inbox_mutex_);
        for (auto& p : inbox_) queue_.push_back(std::move(p));
        inbox_.clear();
    }
    heartbeat_.cancel();
    // A held GET: the client's own close is answered with a noop; ours with a close packet.
    polling_.release_with(r == close_reason::forced_close ? release::noop : release::close, true);
    if (ws_) {
        ws_->close_for(r);
        if (r == close_reason::slow_client || r == close_reason::transport_error) queue_.clear();
        ws_->flush();
        // A client that does not read our close frame loses the socket anyway.
        heartbeat_.expires_after(std::chrono::seconds(2));
        heartbeat_.async_wait([self, ws = ws_](boost::system::error_code ec) {
            if (!ec) ws->abort();
        });
    }
    const bool polling = transport_ == transport_kind::polling;
    const bool drain = polling && !queue_.empty() &&
                       (r == close_reason::server_close || r == close_reason::server_shutdown);
    if ((r == close_reason::forced_close && polling && !polling_.holding()) || drain) {
        // A drain answers the queue first and the close packet on a GET of
        // its own, as the reference server does: socket.io-client acts on a
        // close packet at once but on the packets before it a tick later, so
        // a DISCONNECT in the same payload would be taken for a network
        // failure (and the client would reconnect).
        polling_.start_linger(drain ? polling_transport::linger::owes_close : polling_transport::linger::owes_noop);
        heartbeat_.expires_after(drain ? std::max<std::chrono::milliseconds>(std::chrono::seconds(1), cfg_.ping_timeout)
                                       : std::chrono::seconds(1));
        heartbeat_.async_wait([self](boost::system::error_code) {
            if (self->polling_.lingering() != polling_transport::linger::none) {
                self->polling_.end_linger();
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

void session::start_heartbeat() {
    if (eio3()) arm_client_timeout();
    else arm_heartbeat(true);
}

void session::arm_client_timeout() {
    if (closed_) return;
    heartbeat_.expires_after(cfg_.ping_interval + cfg_.ping_timeout);
    heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && !self->closed_) self->close(close_reason::ping_timeout);
    });
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
    if (eio3()) arm_client_timeout();  // v3: any packet shows the client alive, as engine.io 3 counts it
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

}  // namespace solgrid::engineio
