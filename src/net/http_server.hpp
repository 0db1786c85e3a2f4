// The listener and the HTTP/1.1 connection loop: one coroutine per
// connection on its own strand, keep-alive, read timeout, body and header
// limits (413/431), WebSocket hand-off, graceful shutdown. Knows nothing of
// routes. The one place HEAD is answered: the handler's answer to the request
// with its headers (Content-Length of the body a GET would get), never a
// body. After an error answer (400/413/431) the connection is closed
// lingeringly, as nginx does, so a client still sending its body reads the
// answer instead of a reset. With server_options::tls every connection is
// TLS (HTTPS and WSS on the one port) through net::tls_bridge; a plaintext
// request there gets a 400 saying so. start() and shutdown() are called from
// the app's thread/coroutine.
#pragma once

#include "common/cidr.hpp"
#include "common/log_throttle.hpp"
#include "net/types.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace boost::asio::ssl {
class context;
}

namespace solgrid::net {

struct server_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 5000;  // 0 picks a free port
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::seconds read_timeout{30};
    // Lingering close after an error answer: read and discard at most this
    // much, for at most this long, before closing.
    std::size_t linger_bytes = 4 * 1024 * 1024;
    std::chrono::milliseconds linger_time{3000};
    // The setting a person changes to pick another port, for start-up errors.
    std::string port_setting = "PORT";
    // Set (net::load_tls_context): every connection speaks TLS; its
    // handshake runs under read_timeout.
    std::shared_ptr<asio::ssl::context> tls;
    // MAX_CONNECTIONS: client connections open at once (keep-alive, long
    // polls, WebSockets alike, each until closed); one more gets a 503
    // {"success":false,"error":"too many connections"} and is closed (over
    // TLS: closed without an answer). 0 = no limit.
    std::size_t max_connections = 0;
    // TRUSTED_PROXIES: peers whose X-Forwarded-For / -Proto are believed
    // (net/forwarded.hpp); empty: nobody's.
    common::network_list trusted_proxies;
};

// start() could not listen; what() says why and what to do, e.g.
// "cannot listen on 0.0.0.0:5000: port 5000 is already in use; set PORT or
// stop the other process".
class startup_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class http_server {
public:
    http_server(asio::io_context& ioc, server_options opts, handlers h);

    // Binds and starts accepting; throws startup_error if it cannot.
    void start();
    std::uint16_t port() const { return bound_port_; }

    // Stops accepting, closes idle connections, lets requests in flight
    // finish for up to `grace`, then closes the rest.
    asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

    // Connections being served; a TLS connection counts twice (the TLS
    // side and its plaintext session) while both are open.
    std::size_t open_connections() const;

    // Accepted client connections open now, upgraded WebSockets included
    // (the MAX_CONNECTIONS count). Any thread.
    std::size_t client_connections() const { return clients_->load(); }
    // Connections accepted, and refused over MAX_CONNECTIONS, since start.
    std::uint64_t accepted_connections() const { return accepted_.load(std::memory_order_relaxed); }
    std::uint64_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }

private:
    struct conn;
    struct registration;
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket, request_info info);
    asio::awaitable<void> tls_session(tcp::socket socket, std::shared_ptr<void> slot);
    asio::awaitable<void> refuse(tcp::socket socket);
    // A place under MAX_CONNECTIONS, freed when the last copy goes; null
    // when the server is full.
    std::shared_ptr<void> admit();
    asio::awaitable<void> linger_close(beast::tcp_stream& stream);
    [[noreturn]] void fail_to_listen(const boost::system::error_code& ec, const tcp::endpoint& ep);
    void close_idle(bool force);

    asio::io_context& ioc_;
    server_options opts_;
    handlers handlers_;
    tcp::acceptor acceptor_;
    std::uint16_t bound_port_ = 0;
    std::atomic<bool> stopping_{false};
    common::log_throttle accept_warnings_{std::chrono::seconds(10)};
    common::log_throttle refusal_warnings_{std::chrono::seconds(10)};
    common::log_throttle forwarded_warnings_{std::chrono::seconds(60)};
    // Shared with the slots, which an upgraded WebSocket may hold after the server is gone.
    std::shared_ptr<std::atomic<std::size_t>> clients_ = std::make_shared<std::atomic<std::size_t>>(0);
    std::atomic<std::uint64_t> accepted_{0}, refused_{0};

    mutable std::mutex mutex_;
    std::unordered_map<conn*, std::shared_ptr<conn>> conns_;
};

}  // namespace solgrid::net
