#include "app/realtime.hpp"

#include "http/credentials.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::app {

engineio::settings engineio_settings_from(const config::config& cfg) {
    engineio::settings s;
    s.ping_interval = cfg.engineio.ping_interval;
    s.ping_timeout = cfg.engineio.ping_timeout;
    s.max_payload = cfg.engineio.max_payload;
    s.max_queued = cfg.engineio.max_queued_packets;
    s.allow_eio3 = cfg.engineio.allow_eio3;
    return s;
}

namespace {

socketio::server_options socketio_options_from(const config::config& cfg) {
    socketio::server_options o;
    o.connect_timeout = cfg.engineio.connect_timeout;
    o.recovery.window = cfg.engineio.recovery_window;
    return o;
}

}  // namespace

realtime::realtime(boost::asio::io_context& ioc, const config::config& cfg, fanout_notifier& events)
    : broadcasts_(boost::asio::make_strand(ioc)),
      sockets_(socketio_options_from(cfg)),
      engine_(ioc, "/socket.io/", engineio_settings_from(cfg), net::cors_policy(cfg.cors_origins), sockets_) {
    auto& root = sockets_.of("/");
    if (!cfg.redis_url.empty()) {
        redis::streams_options o;
        o.where = redis::parse_url(cfg.redis_url);  // checked by config
        o.stream = cfg.redis_stream;
        o.max_len = cfg.redis_stream_maxlen;
        o.recovery_window = cfg.engineio.recovery_window;
        cluster_ = redis::streams_adapter::create(ioc.get_executor(), o);
        cluster_->attach(root);
    }
    root.on_connection([this](const socketio::socket_ptr& s) {
        SPDLOG_DEBUG("client connected: {} from {}", s->id(), s->handshake().transport->remote_address);
        if (auth_) {
            const auto& who = s->identity();
            if (auto it = who.find("role"); it != who.end() && it->value().is_string())
                s->join("role:" + std::string(it->value().as_string()));
            if (auto it = who.find("household"); it != who.end() && it->value().is_string())
                s->join("household:" + std::string(it->value().as_string()));
            if (auto it = who.find("credential"); it != who.end() && it->value().is_string()) {
                std::string credential(it->value().as_string());
                {
                    std::lock_guard lock(by_credential_mutex_);
                    by_credential_.emplace(credential, s);
                }
                s->on_disconnect([this, credential](const socketio::socket_ptr& gone, std::string_view) {
                    std::lock_guard lock(by_credential_mutex_);
                    auto [b, e] = by_credential_.equal_range(credential);
                    for (auto i = b; i != e; ++i)
                        if (i->second.lock() == gone || i->second.expired()) {
                            by_credential_.erase(i);
                            break;
                        }
                });
            }
        }
        socketio::payload hello;
        hello.args.push_back(boost::json::object{{"status", "connected"}});
        s->emit("connection_response", std::move(hello));
    });
    // The notifier's contract: sinks queue and return. Deferred, the
    // broadcast runs on this same thread once the current handler is done:
    // a POST's 201 goes out first instead of after a thousand writes, and
    // the fan-out stays where the reading was handled (posted, it would
    // wake the other io thread, which may sit on a core a client needs).
    events.add_sink([this, &root](const std::vector<std::string>& rooms, const std::string& event,
                                  const boost::json::value& payload) {
        if (emitted_) emitted_->with({event}).inc();
        socketio::payload p;
        p.args.push_back(payload);
        if (rooms.empty())
            boost::asio::defer(broadcasts_, [&root, event, p = std::move(p)]() mutable { root.emit(event, std::move(p)); });
        else
            boost::asio::defer(broadcasts_, [&root, rooms, event, p = std::move(p)]() mutable {
                root.emit(event, std::move(p), rooms);
            });
    });
}

void realtime::require_auth(domain::auth_service& auth, bool public_read) {
    auth_ = &auth;
    sockets_.of("/").use([this, public_read](socketio::socket& s) -> std::optional<socketio::connect_error> {
        std::optional<domain::principal> who;
        bool presented = false;  // a token or a session cookie that must then work
        const auto& a = s.handshake().auth;
        if (auto it = a.find("token"); it != a.end() && it->value().is_string()) {
            presented = true;
            who = auth_->by_token(it->value().as_string());
        } else if (const auto* t = s.handshake().transport; t && !t->cookie.empty()) {
            if (auto value = http_api::cookie_value(t->cookie, "solgrid_session")) who = auth_->by_session(*value);
        }
        if (!who && public_read && !presented) {
            s.set_identity(boost::json::object{{"role", "public"}});
            return std::nullopt;
        }
        if (!who) {
            socketio::connect_error refused;
            refused.message = "unauthorized";
            return refused;
        }
        boost::json::object identity{{"name", who->name}, {"credential", who->credential}};
        if (who->role_) identity["role"] = std::string(domain::to_string(*who->role_));
        else identity["role"] = "device";
        if (who->household) identity["household"] = std::string(1, *who->household);
        s.set_identity(std::move(identity));
        return std::nullopt;
    });
    auth.on_revoked([this](const std::vector<std::string>& credentials) { disconnect_credentials(credentials); });
}

void realtime::disconnect_credentials(const std::vector<std::string>& credentials) {
    std::vector<socketio::socket_ptr> targets;
    {
        std::lock_guard lock(by_credential_mutex_);
        for (const auto& c : credentials) {
            auto [b, e] = by_credential_.equal_range(c);
            for (auto i = b; i != e; ++i)
                if (auto s = i->second.lock()) targets.push_back(std::move(s));
            by_credential_.erase(c);
        }
    }
    // Outside the lock: each disconnect runs on its client's strand.
    for (const auto& s : targets) s->disconnect(false);
}

boost::json::object realtime::stats() const {
    boost::json::object o{
        {"realtime", {{"engineio_sessions", engine_.session_count()}, {"socketio_clients", sockets_.client_count()}}}};
    if (cluster_) o["redis"] = {{"connected", cluster_->connected()}};
    return o;
}

void realtime::start_cluster() {
    if (cluster_) cluster_->start();
}

boost::asio::awaitable<void> realtime::shutdown_cluster() {
    if (!cluster_) co_return;
    auto op = cluster_->shutdown();
    co_await std::move(op);
}

}  // namespace solgrid::app
