// One TLS connection (HTTPS / WSS) served by the ordinary plaintext code.
// The bridge runs the TLS handshake on the accepted TCP socket, then gives
// the HTTP session loop one end of an AF_UNIX socketpair and copies bytes
// both ways between the other end and the TLS stream.
//
// Why a bridge rather than the session loop, Engine.IO's WebSocket
// transport and its broadcast fast path generic over an SSL stream: that
// fast path writes frames straight to sockets' fds (sendmsg, io_uring in
// net::batch_sender), which an SSL stream cannot take. Behind the bridge
// those writes stay plain socket writes and every route, polling and
// WebSocket path is unchanged. The cost: one more pass through the kernel
// per direction, two more fds, and memory: an idle keep-alive TLS
// connection holds ~107 KB (our two 16 KiB buffers, Asio's 17 KiB record
// buffers and BIO pair, OpenSSL's state) against ~6 KB for plain HTTP
// (measured with 1000 connections); for many thousands of clients, TLS in
// a proxy in front is the leaner choice.
// The plaintext end is a tcp::socket over an AF_UNIX fd: no TCP options, no
// peer address — request_info carries the client's (and secure = true).
//
// All on the connection's strand: handshake(), then open_plain(), then
// pump(), which returns when both directions have ended.
// Back-pressure: one buffer per direction; the next read only once the
// write before it completed, so a slow reader on either side stops the other.
// Ends: the client's close_notify (or any TLS/TCP end) half-closes the
// plaintext side (the session reads end-of-stream); when the plaintext side
// has finished, the client gets close_notify, the bridge waits up to
// linger_time for the client's own and drains what it still sends (as
// http_server's lingering close), then closes the TCP socket.
#pragma once

#include "net/types.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace solgrid::net {

class tls_bridge : public std::enable_shared_from_this<tls_bridge> {
public:
    struct options {
        std::chrono::milliseconds handshake_timeout{30000};  // detection + handshake
        std::chrono::milliseconds linger_time{3000};         // close_notify exchange + drain at the end
        std::size_t linger_bytes = 4 * 1024 * 1024;          // drained at most at the end
        std::size_t buffer_size = 16 * 1024;                 // per direction (one TLS record)
    };
    enum class handshake_result { ok, not_tls, failed };

    // `socket` is the accepted TCP connection; `ctx` outlives the bridge.
    tls_bridge(tcp::socket socket, asio::ssl::context& ctx, options opts);

    // The TCP connection to the client: cancel it to abort the bridge, or,
    // after handshake() said not_tls, answer in plaintext on it.
    beast::tcp_stream& transport() { return tls_.next_layer(); }
    const tcp::endpoint& peer() const { return peer_; }

    // Reads the first bytes under handshake_timeout: not_tls when they are
    // not a TLS ClientHello (e.g. "GET / HTTP/1.1"), failed when the
    // handshake fails (logged at debug: scanners do this all day).
    asio::awaitable<handshake_result> handshake();

    // After an ok handshake: the plaintext end for the session loop, bound
    // to `ex`; nullopt with `ec` set when no socketpair can be had (EMFILE).
    std::optional<tcp::socket> open_plain(const asio::any_io_executor& ex, boost::system::error_code& ec);

    // Copies both ways until both have ended, then closes as above.
    asio::awaitable<void> pump();

private:
    asio::awaitable<void> upstream(std::shared_ptr<tls_bridge> self);
    asio::awaitable<void> close_transport(bool send_close_notify);

    options opts_;
    tcp::endpoint peer_;
    asio::ssl::stream<beast::tcp_stream> tls_;
    asio::local::stream_protocol::socket mine_;  // our end of the socketpair
    std::vector<char> up_buf_;                    // client → plaintext side
    std::vector<char> down_buf_;                  // plaintext side → client
    asio::steady_timer upstream_exit_;            // pump() waits on it; upstream() cancels it on return
    bool upstream_done_ = false;
    bool tls_failed_ = false;  // a TLS error: no close_notify may follow
};

}  // namespace solgrid::net
