// The Socket.IO v5 server over one Engine.IO endpoint (and protocol v4, what
// socket.io-client 2.x speaks, for Engine.IO v3 sessions: "/" joined at the
// handshake, query as auth, string errors, no recovery): one client per
// Engine.IO session, namespaces by name, the CONNECT flow (middlewares,
// connect timeout, connection-state recovery), and packet dispatch to
// sockets. Namespaces are created with of() before serving; each
// Engine.IO session gets a `client` as its listener (typed per-connection
// state: its sockets by namespace, binary reassembly, the connect timer),
// called on the session's strand. Knows nothing of
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

    // A new Engine.IO session: its Socket.IO client (the session's listener).
    std::shared_ptr<engineio::session_listener> on_open(const engineio::session_ptr& s) override;

    std::size_t client_count() const { return clients_.load(); }
    // Every namespace, to attach a cluster to (before serving).
    template <class F>
    void for_each_namespace(F&& f) {
        for (auto& [name, ns] : namespaces_) f(*ns);
    }
    // Connected sockets in each namespace (for /metrics; the namespaces are
    // all made before serving, so the map does not change under it).
    std::vector<std::pair<std::string, std::size_t>> sockets_by_namespace() const;

private:
    class client;
    void on_message(const engineio::session_ptr& s, client& c, engineio::packet&& message);
    void on_close(client& c, engineio::close_reason reason);
    void dispatch(const engineio::session_ptr& s, client& c, packet&& p);
    void connect(const engineio::session_ptr& s, client& c, packet&& p);
    void finish_connect(const engineio::session_ptr& s, client& c, namespace_& nsp, handshake hs,
                        std::optional<namespace_::restored> restored, bool keeps_offsets);

    server_options opts_;
    std::unordered_map<std::string, std::unique_ptr<namespace_>> namespaces_;
    std::atomic<std::size_t> clients_{0};
};

}  // namespace solgrid::socketio
