#include "net/http_server.hpp"

#include "net/forwarded.hpp"
#include "net/tls_bridge.hpp"

#include "common/log_fields.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::net {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

response plain_error(http::status status, unsigned version, std::string_view message) {
    response res{status, version};
    res.set(http::field::server, "solgrid");
    res.set(http::field::content_type, "application/json");
    res.body() = std::string(R"({"success":false,"error":")") + std::string(message) + "\"}";
    res.keep_alive(false);
    res.prepare_payload();
    return res;
}

// The access log: one debug line per answered request, its fields top-level
// keys under LOG_FORMAT=json (common/log_fields.hpp).
void access_log(const request& req, const response& res, const request_info& info,
                std::chrono::steady_clock::time_point started) {
    auto target = std::string_view(req.target());
    auto path = target.substr(0, target.find('?'));
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    auto ms = fmt::format("{:.3f}", static_cast<double>(micros.count()) / 1000.0);
    auto client = info.remote.address().to_string();
    std::vector<common::log_field> fields{{"method", std::string(req.method_string())},
                                          {"route", std::string(path)},
                                          {"status", std::to_string(res.result_int()), true},
                                          {"duration_ms", ms, true},
                                          {"client", client}};
    if (!info.user.empty()) fields.push_back({"user", info.user});
    // Forwarded by a trusted proxy: `client` is whom it named, `peer` the proxy.
    std::string via;
    if (info.remote.address() != info.peer.address()) {
        fields.push_back({"peer", info.peer.address().to_string()});
        via = " via " + fields.back().value;
    }
    common::scoped_log_fields scope(fields);
    spdlog::debug("{} {} {} {}ms client {}{}{}{}", fields[0].value, fields[1].value, fields[2].value, ms, client, via,
                  info.user.empty() ? "" : " user ", info.user);
}

}  // namespace

// Shared between the session coroutine (on its strand) and shutdown().
struct http_server::conn {
    beast::tcp_stream* stream = nullptr;  // null once the coroutine let go of it
    asio::any_io_executor executor;
    bool busy = false;          // a request is being handled; touched on the strand
    bool close_after = false;   // shutdown asked: finish this response, then close
};

// A connection in conns_ for as long as its coroutine holds the stream.
// Destroyed on the strand, before the stream: close_idle()'s posted work,
// which may run later, then finds no stream rather than a dangling one.
struct http_server::registration {
    http_server* self;
    std::shared_ptr<conn> state;

    registration(http_server* s, beast::tcp_stream& stream) : self(s), state(std::make_shared<conn>()) {
        state->stream = &stream;
        state->executor = stream.get_executor();
        std::lock_guard lock(self->mutex_);
        self->conns_.emplace(state.get(), state);
    }
    void release() {
        state->stream = nullptr;
        std::lock_guard lock(self->mutex_);
        self->conns_.erase(state.get());
    }
    ~registration() { release(); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
};

http_server::http_server(asio::io_context& ioc, server_options opts, handlers h)
    : ioc_(ioc), opts_(std::move(opts)), handlers_(std::move(h)), acceptor_(asio::make_strand(ioc)) {}

void http_server::start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(opts_.host, ec);
    if (ec)
        throw startup_error("cannot listen on " + opts_.host +
                            ": not an IP address; set HOST to one such as 0.0.0.0 or 127.0.0.1");
    tcp::endpoint ep{address, opts_.port};
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail_to_listen(ec, ep);
    bound_port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void http_server::fail_to_listen(const boost::system::error_code& ec, const tcp::endpoint& ep) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    auto where = "cannot listen on " + opts_.host + ":" + std::to_string(ep.port()) + ": ";
    auto port = std::to_string(ep.port());
    if (ec == asio::error::address_in_use)
        throw startup_error(where + "port " + port + " is already in use; set " + opts_.port_setting +
                            " or stop the other process");
    if (ec == asio::error::access_denied)
        throw startup_error(where + "permission denied (ports below 1024 need privileges); set " +
                            opts_.port_setting + " to 1024 or above");
    if (ec == boost::system::errc::address_not_available)
        throw startup_error(where + opts_.host + " is not an address of this machine; set HOST to one of its "
                            "addresses, or 0.0.0.0 for all");
    throw startup_error(where + ec.message());
}

std::size_t http_server::open_connections() const {
    std::lock_guard lock(mutex_);
    return conns_.size();
}

asio::awaitable<void> http_server::accept_loop() {
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_) co_return;
            // EMFILE and friends: back off briefly rather than spin, and say so
            // once in a while rather than 20 times a second.
            if (auto held = accept_warnings_.admit())
                spdlog::warn("accept failed: {}{}", ec.message(), common::suppressed_note(*held));
            asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(50));
            co_await t.async_wait(use_tuple);
            continue;
        }
        auto ex = socket.get_executor();
        auto slot = admit();
        (slot ? accepted_ : refused_).fetch_add(1, std::memory_order_relaxed);
        if (!slot) {
            if (auto held = refusal_warnings_.admit())
                spdlog::warn("MAX_CONNECTIONS={} reached: refusing new connections with 503{}", opts_.max_connections,
                             common::suppressed_note(*held));
            asio::co_spawn(ex, refuse(std::move(socket)), asio::detached);
            continue;
        }
        if (opts_.tls) {
            asio::co_spawn(ex, tls_session(std::move(socket), std::move(slot)), asio::detached);
            continue;
        }
        boost::system::error_code ignored;
        request_info info{socket.remote_endpoint(ignored)};
        info.peer = info.remote;
        info.connection_slot = std::move(slot);
        asio::co_spawn(ex, session(std::move(socket), std::move(info)), asio::detached);
    }
}

std::shared_ptr<void> http_server::admit() {
    auto clients = clients_;
    auto now = clients->fetch_add(1) + 1;
    if (opts_.max_connections > 0 && now > opts_.max_connections) {
        clients->fetch_sub(1);
        return nullptr;
    }
    // Any non-null pointer will do: the deleter is what counts.
    return std::shared_ptr<void>(static_cast<void*>(clients.get()), [clients](void*) { clients->fetch_sub(1); });
}

// Over MAX_CONNECTIONS: the 503 at once (no need to read the request), then
// a short lingering close so the client reads it rather than a reset. Over
// TLS there is no cheap way to answer: just close.
asio::awaitable<void> http_server::refuse(tcp::socket socket) {
    boost::system::error_code ignored;
    if (opts_.tls) {
        socket.close(ignored);
        co_return;
    }
    beast::tcp_stream stream(std::move(socket));
    auto answer = plain_error(http::status::service_unavailable, 11, "too many connections");
    answer.set(http::field::retry_after, "1");
    stream.expires_after(opts_.read_timeout);
    auto [wec, wn] = co_await http::async_write(stream, answer, use_tuple);
    if (wec) co_return;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::milliseconds(1000));
    char sink[4096];
    for (std::size_t total = 0; total < 64 * 1024;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        if (ec) break;
        total += n;
    }
    stream.socket().close(ignored);
}

// TLS, then the ordinary session over the bridge's plaintext end, on the
// same strand. `slot` is held until the TLS connection ends (the plaintext
// session's WebSocket, if it upgrades, ends with it).
asio::awaitable<void> http_server::tls_session(tcp::socket socket, std::shared_ptr<void> slot) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    auto ex = socket.get_executor();
    tls_bridge::options bo;
    bo.handshake_timeout = opts_.read_timeout;
    bo.linger_time = opts_.linger_time;
    bo.linger_bytes = opts_.linger_bytes;
    auto bridge = std::make_shared<tls_bridge>(std::move(socket), *opts_.tls, bo);
    auto held = std::move(slot);  // freed when this coroutine ends: the TLS connection is gone
    registration reg(this, bridge->transport());  // idle (cancellable) during the handshake

    auto result = co_await bridge->handshake();
    if (result == tls_bridge::handshake_result::not_tls) {
        auto answer = plain_error(http::status::bad_request, 11, "this port speaks HTTPS: use https:// (or wss://)");
        bridge->transport().expires_after(opts_.read_timeout);
        auto [wec, wn] = co_await http::async_write(bridge->transport(), answer, use_tuple);
        if (!wec) co_await linger_close(bridge->transport());
        co_return;
    }
    if (result != tls_bridge::handshake_result::ok || stopping_) co_return;
    auto plain = bridge->open_plain(ex, ec);
    if (!plain) {
        if (auto held = accept_warnings_.admit())
            spdlog::warn("cannot serve a TLS connection: {}{}", ec.message(), common::suppressed_note(*held));
        co_return;
    }
    // From here the plaintext session decides when the connection ends
    // (graceful shutdown included); a forced close still cancels the TLS side.
    reg.state->busy = true;
    request_info info{bridge->peer(), true};
    info.peer = info.remote;
    info.tls = true;
    asio::co_spawn(ex, session(std::move(*plain), std::move(info)), asio::detached);
    co_await bridge->pump();
}

asio::awaitable<void> http_server::session(tcp::socket socket, request_info info) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // fails harmlessly on a TLS bridge's AF_UNIX end
    beast::tcp_stream stream(std::move(socket));
    registration reg(this, stream);
    auto& state = reg.state;

    beast::flat_buffer buffer;
    for (;;) {
        if (stopping_) break;
        http::request_parser<http::string_body> parser;
        parser.body_limit(opts_.body_limit);
        parser.header_limit(static_cast<std::uint32_t>(opts_.header_limit));
        stream.expires_after(opts_.read_timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (ec) {
            std::optional<response> answer;
            if (ec == http::error::body_limit)
                answer = plain_error(http::status::payload_too_large, 11, "request body too large");
            else if (ec == http::error::header_limit)
                answer = plain_error(http::status::request_header_fields_too_large, 11, "request headers too large");
            else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                     ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
                     ec != asio::error::eof && ec != asio::error::bad_descriptor)
                answer = plain_error(http::status::bad_request, 11, "malformed HTTP request");
            if (answer) {
                stream.expires_after(opts_.read_timeout);
                auto [wec, wn] = co_await http::async_write(stream, *answer, use_tuple);
                if (!wec) {
                    co_await linger_close(stream);
                    co_return;
                }
            }
            break;
        }
        request req = parser.release();
        // Who the client is, once per request (TRUSTED_PROXIES; net/forwarded.hpp).
        if (apply_forwarded(req, info, opts_.trusted_proxies).malformed)
            if (auto held = forwarded_warnings_.admit())
                spdlog::warn("ignoring X-Forwarded-For from trusted proxy {}: not a list of IP addresses; the "
                             "proxy's own address is used as the client's{}",
                             info.peer.address().to_string(), common::suppressed_note(*held));
        if (handlers_.wants_upgrade && beast::websocket::is_upgrade(req) && handlers_.wants_upgrade(req)) {
            stream.expires_never();
            reg.release();  // the upgrade handler owns it now
            co_await handlers_.upgrade(std::move(stream), std::move(req), info);
            co_return;
        }
        state->busy = true;
        auto started = std::chrono::steady_clock::now();
        info.user.clear();
        // The handler may hold the request (long-polling); no read deadline then.
        stream.expires_never();
        std::optional<response> answered;
        try {
            auto op = handlers_.http(req, info);
            answered = co_await std::move(op);
        } catch (const std::exception& e) {
            spdlog::error("{} {}: handler failed: {}", std::string(req.method_string()), std::string(req.target()),
                          e.what());
        } catch (...) {
            spdlog::error("{} {}: handler failed", std::string(req.method_string()), std::string(req.target()));
        }
        response res = answered ? std::move(*answered)
                                : plain_error(http::status::internal_server_error, req.version(), "internal error");
        if (res.find(http::field::server) == res.end()) res.set(http::field::server, "solgrid");
        bool keep = req.keep_alive() && res.keep_alive() && !stopping_ && !state->close_after;
        res.keep_alive(keep);
        stream.expires_after(opts_.read_timeout);
        boost::system::error_code wec;
        if (req.method() == http::verb::head) {
            // The GET's headers, Content-Length included, and never its body:
            // a body here would be read as the start of the next response.
            bool may_have_body = res.result_int() >= 200 && res.result() != http::status::no_content &&
                                 res.result() != http::status::not_modified;
            if (may_have_body && !res.has_content_length() && !res.chunked())
                res.content_length(res.body().payload_size());
            http::response_serializer<net::body> sr{res};
            auto [e, written] = co_await http::async_write_header(stream, sr, use_tuple);
            wec = e;
        } else {
            auto [e, written] = co_await http::async_write(stream, res, use_tuple);
            wec = e;
        }
        state->busy = false;
        if (spdlog::default_logger_raw()->should_log(spdlog::level::debug)) access_log(req, res, info, started);
        if (wec || !keep) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

// After an error answer the client may still be sending (a 2 MB body after
// a 413): closing with unread data makes the kernel send a reset, which can
// destroy the answer before the client reads it. So: send FIN, read and drop
// what still comes, within limits, then close.
asio::awaitable<void> http_server::linger_close(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(opts_.linger_time);
    std::vector<char> sink(16 * 1024);
    std::size_t total = 0;
    while (total < opts_.linger_bytes && !stopping_) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        if (ec) break;
        total += n;
    }
    stream.socket().close(ignored);
}

void http_server::close_idle(bool force) {
    std::vector<std::shared_ptr<conn>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [k, c] : conns_) all.push_back(c);
    }
    for (auto& c : all) {
        asio::post(c->executor, [c, force] {
            if (!c->stream) return;
            if (c->busy && !force) {
                c->close_after = true;
                return;
            }
            boost::system::error_code ec;
            c->stream->socket().cancel(ec);
        });
    }
}

asio::awaitable<void> http_server::shutdown(std::chrono::milliseconds grace) {
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
    });
    close_idle(false);
    auto deadline = std::chrono::steady_clock::now() + grace;
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
        t.expires_after(std::chrono::milliseconds(20));
        co_await t.async_wait(use_tuple);
        close_idle(false);
    }
    if (open_connections() > 0) {
        spdlog::warn("shutdown: closing {} connections still busy after the grace period", open_connections());
        close_idle(true);
    }
}

}  // namespace solgrid::net
