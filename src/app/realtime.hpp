// The real-time half of `solgrid serve`: a Socket.IO server on an Engine.IO
// endpoint at /socket.io/, with the seed's events on the default namespace
// (`connection_response` on connect; every domain event — `new_sun_data`,
// `relay_status_update`, ... — broadcast to every client). Built before
// the server starts; the HTTP server then routes /socket.io/ here.
#pragma once

#include "app/fanout_notifier.hpp"
#include "common/metrics.hpp"
#include "config/config.hpp"
#include "domain/auth_service.hpp"
#include "engineio/server.hpp"
#include "redis/streams_adapter.hpp"
#include "socketio/server.hpp"

namespace solgrid::app {

class realtime {
public:
    realtime(boost::asio::io_context& ioc, const config::config& cfg, fanout_notifier& events);

    engineio::server& engine() { return engine_; }
    socketio::server& sockets() { return sockets_; }

    // /healthz figures.
    boost::json::object stats() const;

    // REDIS_URL: the Redis adapter every namespace publishes through
    // (docs/scale-out.md); null when this instance runs alone. start_cluster()
    // once the server serves; shutdown_cluster() after the clients were
    // closed (their recovery sessions are written first).
    const redis::streams_adapter* cluster() const { return cluster_.get(); }
    void start_cluster();
    boost::asio::awaitable<void> shutdown_cluster();

    // Counts every domain event emitted, by event name (set before serving).
    void count_events(common::metrics::family<common::metrics::counter>& emitted) { emitted_ = &emitted; }

    // AUTH on: the CONNECT of every socket must present a session cookie
    // (browsers) or auth {token}; refused ones get CONNECT_ERROR
    // {"message":"unauthorized"}. Sockets join "role:<role>" and
    // "household:<X>"; a revoked credential disconnects its sockets. With
    // `public_read` (PUBLIC_READ) a client without credentials is let in as
    // role "public" (events are reads). Called once before the server starts.
    void require_auth(domain::auth_service& auth, bool public_read = false);

private:
    void disconnect_credentials(const std::vector<std::string>& credentials);

    domain::auth_service* auth_ = nullptr;
    common::metrics::family<common::metrics::counter>* emitted_ = nullptr;
    std::mutex by_credential_mutex_;
    std::unordered_multimap<std::string, std::weak_ptr<socketio::socket>> by_credential_;

    // Domain events are broadcast here, in the order they were published,
    // off the publisher's thread (a POST gets its 201 without waiting for
    // a thousand writes).
    boost::asio::strand<boost::asio::io_context::executor_type> broadcasts_;
    socketio::server sockets_;
    engineio::server engine_;
    std::shared_ptr<redis::streams_adapter> cluster_;
};

engineio::settings engineio_settings_from(const config::config& cfg);

}  // namespace solgrid::app
