// The listener and the HTTP/1.1 connection loop: one coroutine per
// connection on its own strand, keep-alive, read timeout, body and header
// limits (413/431), WebSocket hand-off, graceful shutdown. Knows nothing of
// routes. start() and shutdown() are called from the app's thread/coroutine.
#pragma once

#include "net/types.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace solgrid::net {

struct server_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 5000;  // 0 picks a free port
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::seconds read_timeout{30};
};

class http_server {
public:
    http_server(asio::io_context& ioc, server_options opts, handlers h);

    // Binds and starts accepting; throws std::system_error if it cannot bind.
    void start();
    std::uint16_t port() const { return bound_port_; }

    // Stops accepting, closes idle connections, lets requests in flight
    // finish for up to `grace`, then closes the rest.
    asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

    std::size_t open_connections() const;

private:
    struct conn;
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket);
    void close_idle(bool force);

    asio::io_context& ioc_;
    server_options opts_;
    handlers handlers_;
    tcp::acceptor acceptor_;
    std::uint16_t bound_port_ = 0;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;
    std::unordered_map<conn*, std::shared_ptr<conn>> conns_;
};

}  // namespace solgrid::net
