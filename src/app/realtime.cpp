#include "app/realtime.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::app {

engineio::settings engineio_settings_from(const config::config& cfg) {
    engineio::settings s;
    s.ping_interval = cfg.engineio.ping_interval;
    s.ping_timeout = cfg.engineio.ping_timeout;
    s.max_payload = cfg.engineio.max_payload;
    s.max_queued = cfg.engineio.max_queued_packets;
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
    root.on_connection([](const socketio::socket_ptr& s) {
        SPDLOG_DEBUG("client connected: {} from {}", s->id(), s->handshake().transport->remote_address);
        socketio::payload hello;
        hello.args.push_back(boost::json::object{{"status", "connected"}});
        s->emit("connection_response", std::move(hello));
    });
    // The notifier's contract: sinks queue and return. Deferred, the
    // broadcast runs on this same thread once the current handler is done:
    // a POST's 201 goes out first instead of after a thousand writes, and
    // the fan-out stays where the reading was handled (posted, it would
    // wake the other io thread, which may sit on a core a client needs).
    events.add_sink([this, &root](const std::string& event, const boost::json::value& payload) {
        socketio::payload p;
        p.args.push_back(payload);
        boost::asio::defer(broadcasts_, [&root, event, p = std::move(p)]() mutable { root.emit(event, std::move(p)); });
    });
}

boost::json::object realtime::stats() const {
    return {{"realtime", {{"engineio_sessions", engine_.session_count()}, {"socketio_clients", sockets_.client_count()}}}};
}

}  // namespace solgrid::app
