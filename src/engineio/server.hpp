// The Engine.IO v4 endpoint (and v3 unless settings::allow_eio3 is off) at
// one path ("/socket.io/", "/engine.io/"):
// validates handshakes, keeps the sid → session registry, answers polling
// GET/POST, takes WebSocket connections (direct or as the upgrade of a
// polling session), and turns every Engine.IO error into its HTTP answer in
// one place (error.hpp: the codes 0–5 as the protocol lists them).
// handle_http()/handle_upgrade() run on the caller's connection strand;
// sessions run on strands of their own. close_all() may be called from any
// thread. Knows nothing of namespaces or events.
#pragma once

#include "engineio/error.hpp"
#include "engineio/session.hpp"
#include "net/cors.hpp"
#include "net/types.hpp"

#include <atomic>
#include <unordered_map>

namespace solgrid::engineio {

class server {
public:
    server(asio::io_context& ioc, std::string path, settings cfg, net::cors_policy cors, session_handler& handler);

    const std::string& path() const { return path_; }
    const settings& config() const { return cfg_; }

    bool matches(std::string_view target) const { return target.rfind(path_, 0) == 0; }

    asio::awaitable<net::response> handle_http(net::request& req, const net::request_info& info);
    // `info` is who connected (behind TLS the stream's socket has no TCP
    // peer); the two-argument form takes it from the socket.
    asio::awaitable<void> handle_upgrade(net::beast::tcp_stream stream, net::request req, net::request_info info);
    asio::awaitable<void> handle_upgrade(net::beast::tcp_stream stream, net::request req);

    // Closes every session (shutdown).
    void close_all(close_reason r);
    std::size_t session_count() const;
    // Open sessions on each transport {polling, websocket} (for /metrics).
    std::pair<std::size_t, std::size_t> sessions_by_transport() const;
    const stats& counters() const { return stats_; }

    // The answer to a failed Engine.IO request: to_http(e) as a response
    // (exposed for tests).
    static net::response error_response(const net::request& req, error e, const net::cors_policy& cors);

private:
    session_ptr find(const std::string& sid) const;
    session_ptr create(handshake_info info);
    void add_cors(const net::request& req, net::response& res) const;

    asio::io_context& ioc_;
    std::string path_;
    stats stats_;  // before cfg_, which points at it
    settings cfg_;
    net::cors_policy cors_;
    session_handler& handler_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, session_ptr> sessions_;
};

// 20 characters of URL-safe base64 from the kernel's CSPRNG.
std::string random_id();

}  // namespace solgrid::engineio
