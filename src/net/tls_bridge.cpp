#include "net/tls_bridge.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace solgrid::net {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

tcp::endpoint peer_of(const tcp::socket& s) {
    boost::system::error_code ec;
    return s.remote_endpoint(ec);
}

}  // namespace

tls_bridge::tls_bridge(tcp::socket socket, asio::ssl::context& ctx, options opts)
    : opts_(opts),
      peer_(peer_of(socket)),
      tls_(beast::tcp_stream(std::move(socket)), ctx),
      mine_(tls_.get_executor()),
      up_buf_(opts.buffer_size),
      down_buf_(opts.buffer_size),
      upstream_exit_(tls_.get_executor()) {}

asio::awaitable<tls_bridge::handshake_result> tls_bridge::handshake() {
    auto& tcp = transport();
    tcp.expires_after(opts_.handshake_timeout);
    beast::flat_buffer first;
    auto [ec, is_tls] = co_await beast::async_detect_ssl(tcp, first, use_tuple);
    if (ec) co_return handshake_result::failed;
    if (!is_tls) co_return handshake_result::not_tls;
    // The bytes detection read are the start of the ClientHello.
    auto [hec, used] = co_await tls_.async_handshake(asio::ssl::stream_base::server, first.data(), use_tuple);
    if (hec) {
        spdlog::debug("TLS handshake with {} failed: {}", peer_.address().to_string(), hec.message());
        co_return handshake_result::failed;
    }
    tcp.expires_never();  // from here the plaintext side's timeouts rule
    co_return handshake_result::ok;
}

std::optional<tcp::socket> tls_bridge::open_plain(const asio::any_io_executor& ex, boost::system::error_code& ec) {
    asio::local::stream_protocol::socket theirs(ex);
    asio::local::connect_pair(mine_, theirs, ec);
    if (ec) return std::nullopt;
    int fd = theirs.release(ec);
    if (ec) return std::nullopt;
    tcp::socket plain(ex);
    // The protocol only tells Asio the address family for endpoints; the
    // fd stays an AF_UNIX stream socket (see the header).
    plain.assign(tcp::v4(), fd, ec);
    if (ec) {
        ::close(fd);
        return std::nullopt;
    }
    return plain;
}

// Client → plaintext side. Ends on the client's close_notify (eof), a TLS
// or TCP error, a plaintext side that stopped reading for good, or pump()
// cancelling it; in every case the plaintext side then reads end-of-stream.
// `self` keeps the bridge alive while this runs.
asio::awaitable<void> tls_bridge::upstream([[maybe_unused]] std::shared_ptr<tls_bridge> self) {
    for (;;) {
        auto [ec, n] = co_await tls_.async_read_some(asio::buffer(up_buf_), use_tuple);
        if (n > 0) {
            auto [wec, written] = co_await asio::async_write(mine_, asio::buffer(up_buf_.data(), n), use_tuple);
            if (wec) break;
        }
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted) tls_failed_ = true;
            break;
        }
    }
    boost::system::error_code ignored;
    mine_.shutdown(asio::socket_base::shutdown_send, ignored);
    upstream_done_ = true;
    upstream_exit_.cancel();
}

asio::awaitable<void> tls_bridge::pump() {
    asio::co_spawn(tls_.get_executor(), upstream(shared_from_this()), asio::detached);
    // Plaintext side → client.
    bool finished = false;  // the plaintext side wrote all it had and closed
    for (;;) {
        auto [ec, n] = co_await mine_.async_read_some(asio::buffer(down_buf_), use_tuple);
        if (n > 0) {
            auto [wec, written] = co_await asio::async_write(tls_, asio::buffer(down_buf_.data(), n), use_tuple);
            if (wec) {
                tls_failed_ = true;
                break;
            }
        }
        if (ec) {
            finished = ec == asio::error::eof;
            break;
        }
    }
    // The plaintext side has closed (or cannot be reached): nothing more
    // goes to it. Stop upstream() and wait for it, so that the shutdown
    // below is the only operation on the TLS stream.
    boost::system::error_code ignored;
    mine_.close(ignored);
    while (!upstream_done_) {
        // Again until it has returned: a read that was waiting for this
        // direction's write to finish may start after a single cancel.
        transport().socket().cancel(ignored);
        upstream_exit_.expires_after(std::chrono::milliseconds(100));
        co_await upstream_exit_.async_wait(use_tuple);
    }
    co_await close_transport(finished && !tls_failed_);
}

asio::awaitable<void> tls_bridge::close_transport(bool send_close_notify) {
    auto& tcp = transport();
    auto deadline = std::chrono::steady_clock::now() + opts_.linger_time;
    boost::system::error_code ignored;
    if (send_close_notify) {
        // close_notify, then the client's (Asio waits for it): bounded.
        // Once both are through, everything the client sent has been read:
        // nothing is left to reset the connection with.
        tcp.expires_at(deadline);
        auto [ec] = co_await tls_.async_shutdown(use_tuple);
        if (!ec) {
            tcp.socket().close(ignored);
            co_return;
        }
    }
    if (tcp.socket().is_open()) {
        // Unread bytes at close() make the kernel send a reset, which can
        // destroy the last answer before the client reads it: FIN first,
        // then drop what still arrives (within limits), as http_server does.
        tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
        tcp.expires_at(deadline);
        std::size_t total = 0;
        while (total < opts_.linger_bytes) {
            auto [ec, n] = co_await tcp.async_read_some(asio::buffer(down_buf_), use_tuple);
            if (ec) break;
            total += n;
        }
    }
    tcp.socket().close(ignored);
}

}  // namespace solgrid::net
