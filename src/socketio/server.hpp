// The Socket.IO v5 server over one Engine.IO endpoint: one client per
// Engine.IO session, namespaces by name, the CONNECT flow (middlewares,
// connect timeout, connection-state recovery), and packet dispatch to
// sockets. Namespaces are created with of() before serving; the
// session_handler callbacks run on each session's strand. Knows nothing of
// solar data: the app emits through namespaces.
#pragma once

#include "engineio/session.hpp"
#include "socketio/namespace.hpp"

#include <memory>
#include <unordered_map>

namespace solgrid::socketio {

struct server_options {
    std::chrono::milliseconds connect_timeout{45000};
    recovery_options recovery;
};

class server final : public engineio::session_handler {
public:
    explicit server(server_options opts) : opts_(opts) {}

    // The namespace called `name` ("/" is the default), created on first use.
    namespace_& of(const std::string& name);

    void on_open(const engineio::session_ptr& s) override;
    void on_message(const engineio::session_ptr& s, engineio::packet&& message) override;
    void on_close(const engineio::session_ptr& s, engineio::close_reason reason) override;

    std::size_t client_count() const { return clients_.load(); }

private:
    struct client;
    void dispatch(const engineio::session_ptr& s, client& c, packet&& p);
    void connect(const engineio::session_ptr& s, client& c, packet&& p);

    server_options opts_;
    std::unordered_map<std::string, std::unique_ptr<namespace_>> namespaces_;
    std::atomic<std::size_t> clients_{0};
};

}  // namespace solgrid::socketio
