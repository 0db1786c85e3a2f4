#include "socketio/socket.hpp"

#include "socketio/namespace.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::socketio {

packet make_event(std::string_view nsp, std::string_view event, const payload& args,
                  std::optional<std::uint64_t> ack_id) {
    packet p;
    p.type = args.attachments.empty() ? packet_type::event : packet_type::binary_event;
    p.nsp = std::string(nsp);
    p.id = ack_id;
    boost::json::array data;
    data.reserve(args.args.size() + 1);
    data.push_back(boost::json::string(event));
    for (const auto& a : args.args) data.push_back(a);
    p.data = std::move(data);
    p.buffers = args.attachments;
    return p;
}

std::vector<engineio::outgoing_ptr> to_wire(const packet& p) {
    std::vector<engineio::outgoing_ptr> out;
    out.reserve(1 + p.buffers.size());
    out.push_back(engineio::make_packet(engineio::packet_type::message, encode(p)));
    for (const auto& b : p.buffers) out.push_back(engineio::make_binary(b));
    return out;
}

socket::socket(std::string id, namespace_& nsp, engineio::session_ptr session, socketio::handshake hs,
               socket_origin origin)
    : id_(std::move(id)),
      nsp_(nsp),
      session_(std::move(session)),
      handshake_(std::move(hs)),
      origin_(std::move(origin)) {}

socket::~socket() = default;

const std::string& socket::nsp_name() const { return nsp_.name(); }

void socket::on(std::string event, event_handler h) { handlers_[std::move(event)] = std::move(h); }

void socket::on_disconnect(std::function<void(const socket_ptr&, std::string_view reason)> h) {
    on_disconnect_.push_back(std::move(h));
}

void socket::send_packet(const packet& p) {
    for (auto& w : to_wire(p)) session_->send(std::move(w));
}

void socket::emit(std::string_view event, payload args) {
    if (is_reserved_event(event)) {
        spdlog::error("socket.io: '{}' is a reserved event name; not sent", event);
        return;
    }
    if (!connected()) return;
    send_packet(make_event(nsp_.name(), event, args));
}

void socket::emit_with_ack(std::string_view event, payload args, std::chrono::milliseconds timeout, ack_callback cb) {
    boost::asio::dispatch(session_->executor(), [self = shared_from_this(), ev = std::string(event),
                                                 args = std::move(args), timeout, cb = std::move(cb)]() mutable {
        if (!self->connected()) {
            cb("socket has been disconnected", {});
            return;
        }
        auto id = self->next_ack_++;
        auto timer = std::make_unique<boost::asio::steady_timer>(self->session_->executor(), timeout);
        timer->async_wait([weak = std::weak_ptr<socket>(self), id](boost::system::error_code ec) {
            auto s = weak.lock();
            if (ec || !s) return;
            auto it = s->acks_.find(id);
            if (it == s->acks_.end()) return;
            auto done = std::move(it->second.cb);
            s->acks_.erase(it);
            done("operation has timed out", {});
        });
        self->acks_.emplace(id, pending_ack{std::move(cb), std::move(timer)});
        self->send_packet(make_event(self->nsp_.name(), ev, args, id));
    });
}

void socket::join(const std::string& room) { nsp_.join(id_, room); }
void socket::leave(const std::string& room) { nsp_.leave(id_, room); }
std::set<std::string> socket::rooms() const { return nsp_.rooms_of(id_); }

void socket::disconnect(bool close_connection) {
    boost::asio::dispatch(session_->executor(), [self = shared_from_this(), close_connection] {
        if (!self->connected()) return;
        packet p;
        p.type = packet_type::disconnect;
        p.nsp = self->nsp_.name();
        self->send_packet(p);
        self->handle_close("server namespace disconnect");
        if (close_connection) self->session_->close(engineio::close_reason::server_close);
    });
}

void socket::handle_event(packet&& p) {
    auto& args = p.data->as_array();
    std::string name = args[0].is_string() ? std::string(args[0].as_string()) : boost::json::serialize(args[0]);
    payload in;
    in.args.reserve(args.size() - 1);
    for (std::size_t i = 1; i < args.size(); ++i) in.args.push_back(std::move(args[i]));
    in.attachments = std::move(p.buffers);
    ack_sender ack;
    if (p.id) {
        ack = [weak = std::weak_ptr<socket>(shared_from_this()), id = *p.id,
               sent = std::make_shared<std::atomic<bool>>(false)](payload reply) {
            auto s = weak.lock();
            if (!s || sent->exchange(true) || !s->connected()) return;
            packet a;
            a.type = reply.attachments.empty() ? packet_type::ack : packet_type::binary_ack;
            a.nsp = s->nsp_.name();
            a.id = id;
            a.data = std::move(reply.args);
            a.buffers = std::move(reply.attachments);
            s->send_packet(a);
        };
    }
    auto self = shared_from_this();
    if (auto it = handlers_.find(name); it != handlers_.end()) {
        it->second(self, std::move(in), std::move(ack));
    } else if (any_) {
        in.args.insert(in.args.begin(), boost::json::string(name));
        any_(self, std::move(in), std::move(ack));
    }
}

void socket::handle_ack(packet&& p) {
    if (!p.id) return;
    auto it = acks_.find(*p.id);
    if (it == acks_.end()) return;  // late or unknown: ignored, as socket.io does
    auto cb = std::move(it->second.cb);
    it->second.timer->cancel();
    acks_.erase(it);
    payload in{std::move(p.data->as_array()), std::move(p.buffers)};
    cb(std::nullopt, std::move(in));
}

void socket::handle_close(std::string_view reason) {
    if (!connected_.exchange(false)) return;
    bool recoverable = reason == "transport error" || reason == "transport close" || reason == "forced close" ||
                       reason == "ping timeout" || reason == "server shutting down" || reason == "forced server close";
    nsp_.remove(*this, recoverable);
    auto pending = std::move(acks_);
    acks_.clear();
    for (auto& [id, a] : pending) {
        a.timer->cancel();
        a.cb("socket has been disconnected", {});
    }
    auto self = shared_from_this();
    for (auto& h : on_disconnect_) h(self, reason);
    // Break handler → socket cycles, but not under a handler that is running
    // (disconnect() may be called from one): later, on the same strand.
    boost::asio::post(session_->executor(), [self] {
        self->handlers_.clear();
        self->on_disconnect_.clear();
        self->any_ = nullptr;
    });
}

}  // namespace solgrid::socketio
