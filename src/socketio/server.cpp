#include "socketio/server.hpp"

#include "engineio/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <ctime>
#include <cstdio>
#include <spdlog/spdlog.h>

namespace solgrid::socketio {
namespace {

// ISO-8601 UTC with milliseconds, for handshake.time.
std::string now_iso8601() {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

// Socket.IO protocol v4 (socket.io-client 2.x, over Engine.IO v3) has no
// CONNECT payload: its query stands in for the auth object, so a middleware
// reads `?token=` as it reads auth.token. For "/" that is the Engine.IO
// handshake's query (without the transport's own parameters), for another
// namespace the query the client appends to its name ("0/admin?token=x,").
boost::json::object auth_from_query_v4(const engineio::handshake_info& info, std::string_view nsp_query, bool root) {
    boost::json::object auth;
    if (root) {
        for (const auto& [k, v] : info.query)
            if (k != "EIO" && k != "transport" && k != "t" && k != "sid" && k != "b64" && k != "j") auth[k] = v;
        return auth;
    }
    if (nsp_query.empty()) return auth;
    std::string target = "/?";
    target += nsp_query;
    if (auto url = boost::urls::parse_origin_form(target))
        for (auto param : url->params()) auth[param.key] = param.value;
    return auth;
}

}  // namespace

// One Engine.IO session's Socket.IO state; the session holds it until it closes.
class server::client final : public engineio::session_listener, public std::enable_shared_from_this<server::client> {
public:
    client(server& srv, const engineio::session_ptr& s) : srv_(srv), connect_timer(s->executor()) {}
    void on_message(const engineio::session_ptr& s, engineio::packet&& message) override {
        srv_.on_message(s, *this, std::move(message));
    }
    void on_close(const engineio::session_ptr&, engineio::close_reason reason) override { srv_.on_close(*this, reason); }

private:
    server& srv_;  // first: initialised first, as the constructor lists it

public:
    std::unordered_map<std::string, socket_ptr> sockets;  // by namespace
    std::set<std::string> connecting;                     // namespaces whose CONNECT awaits the cluster
    reassembler binary;
    boost::asio::steady_timer connect_timer;
    bool ever_connected = false;
};

namespace_& server::of(const std::string& name) {
    auto& slot = namespaces_[name];
    if (!slot) slot = std::make_unique<namespace_>(name, opts_.recovery);
    return *slot;
}

std::shared_ptr<engineio::session_listener> server::on_open(const engineio::session_ptr& s) {
    auto c = std::make_shared<client>(*this, s);
    ++clients_;
    // A client must join a namespace soon, or it only holds a connection.
    c->connect_timer.expires_after(opts_.connect_timeout);
    c->connect_timer.async_wait([weak = std::weak_ptr<engineio::session>(s), w = std::weak_ptr<client>(c)](
                                    boost::system::error_code ec) {
        auto session = weak.lock();
        auto c = w.lock();
        if (ec || !session || !c || c->ever_connected) return;
        session->close(engineio::close_reason::server_close);
    });
    if (s->eio3()) {
        // Protocol v4: the client is in "/" from the handshake on, without
        // asking (a v2 client never sends a CONNECT for "/").
        packet root;
        root.type = packet_type::connect;
        connect(s, *c, std::move(root));
    }
    return c;
}

void server::on_message(const engineio::session_ptr& s, client& c, engineio::packet&& message) {
    if (message.binary) {
        if (!c.binary.waiting()) {
            s->close(engineio::close_reason::parse_error);
            return;
        }
        if (auto done = c.binary.add(std::move(message.data))) dispatch(s, c, std::move(*done));
        return;
    }
    if (c.binary.waiting()) {
        // A text packet while attachments are still due.
        s->close(engineio::close_reason::parse_error);
        return;
    }
    auto decoded = decode(message.data);
    if (!decoded.value) {
        SPDLOG_DEBUG("socket.io parse error from {}: {}", s->id(), decoded.error);
        s->close(engineio::close_reason::parse_error);
        return;
    }
    if (c.binary.start(*decoded.value)) {
        dispatch(s, c, std::move(*decoded.value));
    }
}

void server::dispatch(const engineio::session_ptr& s, client& c, packet&& p) {
    switch (p.type) {
    case packet_type::connect:
        connect(s, c, std::move(p));
        return;
    case packet_type::connect_error:
        s->close(engineio::close_reason::parse_error);  // a server-only packet
        return;
    default:
        break;
    }
    auto it = c.sockets.find(p.nsp);
    if (it == c.sockets.end()) return;  // not connected to that namespace: ignored
    auto sock = it->second;
    switch (p.type) {
    case packet_type::disconnect:
        c.sockets.erase(it);
        sock->handle_close("client namespace disconnect");
        break;
    case packet_type::event:
    case packet_type::binary_event:
        sock->handle_event(std::move(p));
        break;
    case packet_type::ack:
    case packet_type::binary_ack:
        sock->handle_ack(std::move(p));
        break;
    default:
        break;
    }
}

void server::connect(const engineio::session_ptr& s, client& c, packet&& p) {
    // Protocol v4 (a v2 client over Engine.IO v3): the namespace may carry
    // a query, the errors are plain strings, the answer has no payload, and
    // there is no recovery.
    const bool v4 = s->eio3();
    std::string_view nsp_query;
    std::string query_holder;
    if (v4) {
        if (auto q = p.nsp.find('?'); q != std::string::npos) {
            query_holder = p.nsp.substr(q + 1);
            nsp_query = query_holder;
            p.nsp.resize(q);
        }
    }
    auto ns = namespaces_.find(p.nsp);
    if (ns == namespaces_.end()) {
        packet err;
        err.type = packet_type::connect_error;
        err.nsp = p.nsp;
        if (v4) err.data = boost::json::string("Invalid namespace");
        else err.data = boost::json::object{{"message", "Invalid namespace"}};
        for (auto& w : to_wire(err)) s->send(std::move(w));
        return;
    }
    if (c.sockets.count(p.nsp) || c.connecting.count(p.nsp)) return;  // already connected (or connecting) there
    namespace_& nsp = *ns->second;

    socketio::handshake hs;
    if (p.data) hs.auth = std::move(p.data->as_object());
    if (v4) hs.auth = auth_from_query_v4(s->handshake(), nsp_query, p.nsp == "/");
    hs.transport = &s->handshake();
    hs.time = now_iso8601();

    // In a cluster every client that can recover gets offsets from its
    // first connection on, as with Node's socket.io: if its server dies,
    // the offset its client holds is the only record of what it got.
    bool keeps_offsets = nsp.recovery_enabled() && !v4 && nsp.cluster();
    std::optional<std::string> pid, offset;
    if (nsp.recovery_enabled() && !v4) {
        auto* p_pid = hs.auth.if_contains("pid");
        if (p_pid && p_pid->is_string()) {
            // Only a client that implements recovery sends back the pid we
            // gave it (socket.io-client >= 4.6, on every reconnection): it
            // keeps offsets, so its broadcasts carry them from now on.
            // Others (python-socketio, older clients) never get the extra
            // argument their one-argument handlers would choke on.
            keeps_offsets = true;
            pid = std::string(p_pid->as_string());
            if (auto* off = hs.auth.if_contains("offset"); off && off->is_string())
                offset = std::string(off->as_string());
        }
        hs.auth.erase("pid");
        hs.auth.erase("offset");
    }
    if (pid && nsp.cluster()) {
        // The session may be on another instance: the cluster looks it up
        // (a round trip), and the CONNECT finishes on this strand after.
        if (!c.connecting.insert(p.nsp).second) return;  // a second CONNECT while the first waits
        auto hs_held = std::make_shared<socketio::handshake>(std::move(hs));
        nsp.cluster()->restore(
            nsp, *pid, offset,
            [this, weak = std::weak_ptr<engineio::session>(s), w = std::weak_ptr<client>(c.shared_from_this()), &nsp,
             hs_held, keeps_offsets](std::optional<cluster_restore> found) mutable {
                auto session = weak.lock();
                if (!session) return;
                boost::asio::post(session->executor(), [this, session, w, &nsp, hs_held, keeps_offsets,
                                                        found = std::move(found)]() mutable {
                    auto c = w.lock();
                    if (!c) return;
                    c->connecting.erase(nsp.name());
                    if (session->closed()) return;
                    std::optional<namespace_::restored> restored;
                    if (found) restored = nsp.adopt(std::move(*found));
                    finish_connect(session, *c, nsp, std::move(*hs_held), std::move(restored), keeps_offsets);
                });
            });
        return;
    }
    std::optional<namespace_::restored> restored;
    if (pid) restored = nsp.restore(*pid, offset);
    finish_connect(s, c, nsp, std::move(hs), std::move(restored), keeps_offsets);
}

void server::finish_connect(const engineio::session_ptr& s, client& c, namespace_& nsp, socketio::handshake hs,
                            std::optional<namespace_::restored> restored, bool keeps_offsets) {
    const bool v4 = s->eio3();
    socket_origin origin;
    if (nsp.recovery_enabled() && !v4) origin.pid = restored ? restored->pid : engineio::random_id();
    origin.recovered = restored.has_value();
    origin.offsets = keeps_offsets;
    auto sock = std::make_shared<socket>(restored ? restored->sid : engineio::random_id(), nsp, s, std::move(hs),
                                         std::move(origin));
    if (restored) sock->data = std::move(restored->data);
    if (auto refused = nsp.run_middlewares(*sock)) {
        packet err;
        err.type = packet_type::connect_error;
        err.nsp = nsp.name();
        if (v4) {
            // As socket.io 2 answers: the error's data if any, else its message.
            err.data = refused->data ? *refused->data : boost::json::value(boost::json::string(refused->message));
        } else {
            boost::json::object body{{"message", refused->message}};
            if (refused->data) body["data"] = *refused->data;
            err.data = std::move(body);
        }
        sock->refused();
        for (auto& w : to_wire(err)) s->send(std::move(w));
        return;
    }
    c.sockets[nsp.name()] = sock;
    c.ever_connected = true;
    c.connect_timer.cancel();

    packet ok;
    ok.type = packet_type::connect;
    ok.nsp = nsp.name();
    if (!v4) {
        boost::json::object body{{"sid", sock->id()}};
        if (!sock->pid().empty()) body["pid"] = sock->pid();
        ok.data = std::move(body);
    }
    nsp.add(sock, restored ? &*restored : nullptr, [&] { sock->send_packet(ok); });
    nsp.connected(sock);
    nsp.track(*sock);  // in a cluster: its session, with the rooms its connection handler gave it
}

void server::on_close(client& c, engineio::close_reason reason) {
    --clients_;
    c.connect_timer.cancel();
    auto sockets = std::move(c.sockets);
    c.sockets.clear();
    for (auto& [name, sock] : sockets) sock->handle_close(engineio::to_string(reason));
}

std::vector<std::pair<std::string, std::size_t>> server::sockets_by_namespace() const {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& [name, ns] : namespaces_) out.emplace_back(name, ns->socket_count());
    return out;
}

}  // namespace solgrid::socketio
