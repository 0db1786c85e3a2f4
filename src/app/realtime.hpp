// The real-time half of `solgrid serve`: a Socket.IO server on an Engine.IO
// endpoint at /socket.io/, with the seed's events on the default namespace
// (`connection_response` on connect; every domain event — `new_sun_data`,
// `relay_status_update`, ... — broadcast to every client). Built before
// the server starts; the HTTP server then routes /socket.io/ here.
#pragma once

#include "app/fanout_notifier.hpp"
#include "config/config.hpp"
#include "engineio/server.hpp"
#include "socketio/server.hpp"

namespace solgrid::app {

class realtime {
public:
    realtime(boost::asio::io_context& ioc, const config::config& cfg, fanout_notifier& events);

    engineio::server& engine() { return engine_; }
    socketio::server& sockets() { return sockets_; }

    // /healthz figures.
    boost::json::object stats() const;

private:
    // Domain events are broadcast here, in the order they were published,
    // off the publisher's thread (a POST gets its 201 without waiting for
    // a thousand writes).
    boost::asio::strand<boost::asio::io_context::executor_type> broadcasts_;
    socketio::server sockets_;
    engineio::server engine_;
};

engineio::settings engineio_settings_from(const config::config& cfg);

}  // namespace solgrid::app
