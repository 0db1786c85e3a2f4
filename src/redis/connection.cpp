#include "redis/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <optional>

namespace solgrid::redis {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string server_error::code() const {
    std::string_view w(what());
    return std::string(w.substr(0, w.find(' ')));
}

// One command waiting for its reply. `ready` never expires by itself: it is
// cancelled when the reply (or the connection's failure) arrives.
struct connection::pending {
    explicit pending(const asio::any_io_executor& ex) : ready(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer ready;
    std::optional<value> reply;
    std::string error;
    bool done = false;
};

std::shared_ptr<connection> connection::create(asio::any_io_executor ex, connection_options opts) {
    return std::shared_ptr<connection>(new connection(std::move(ex), std::move(opts)));
}

connection::connection(asio::any_io_executor ex, connection_options opts)
    : ex_(ex),
      opts_(std::move(opts)),
      resolver_(ex),
      socket_(ex),
      closed_signal_(ex, asio::steady_timer::time_point::max()) {}

connection::~connection() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

asio::awaitable<void> connection::connect() {
    if (started_) throw connection_error("Redis connection: connect() called twice");
    started_ = true;
    auto self = shared_from_this();
    const std::string where = opts_.where.address();
    const std::string service = std::to_string(opts_.where.port);
    // The deadline closes whatever step is under way; `finished` stops a
    // deadline that fires after the last step from touching a live connection.
    auto timed_out = std::make_shared<bool>(false);
    auto finished = std::make_shared<bool>(false);
    asio::steady_timer deadline(ex_);
    deadline.expires_after(opts_.connect_timeout);
    deadline.async_wait([self, timed_out, finished](boost::system::error_code ec) {
        if (ec || *finished) return;
        *timed_out = true;
        self->resolver_.cancel();
        self->fail("connect timed out");
    });
    const std::string late = "Redis " + where + ": no connection within " +
                             std::to_string(opts_.connect_timeout.count()) + " ms";

    auto [rec, results] = co_await resolver_.async_resolve(opts_.where.host, service, asio::as_tuple(asio::use_awaitable));
    if (*timed_out) throw connection_error(late);
    if (rec) {
        *finished = true;
        throw connection_error("Redis " + where + ": cannot resolve " + opts_.where.host + ": " + rec.message());
    }
    auto [cec, ep] = co_await asio::async_connect(socket_, results, asio::as_tuple(asio::use_awaitable));
    if (*timed_out) throw connection_error(late);
    if (cec) {
        *finished = true;
        fail(cec.message());
        throw connection_error("Redis " + where + ": cannot connect: " + cec.message());
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    open_ = true;
    asio::co_spawn(ex_, read_loop(), asio::detached);

    std::string refused;
    try {
        if (!opts_.where.password.empty()) {
            if (opts_.where.user.empty()) {
                co_await command("AUTH", opts_.where.password);
            } else {
                co_await command("AUTH", opts_.where.user, opts_.where.password);
            }
        }
        if (opts_.where.db != 0) {
            const std::string db = std::to_string(opts_.where.db);
            co_await command("SELECT", db);
        }
    } catch (const server_error& e) {
        refused = e.what();
    } catch (const connection_error&) {
        *finished = true;
        if (*timed_out) throw connection_error(late);
        throw connection_error("Redis " + where + ": connection lost while logging in: " + failure_);
    }
    *finished = true;
    deadline.cancel();
    if (!refused.empty()) {
        close("login refused");
        throw connection_error("Redis " + where + ": " + refused);
    }
}

// The command's bytes are already in out_: start the writer if idle.
std::shared_ptr<connection::pending> connection::enqueue() {
    auto p = std::make_shared<pending>(ex_);
    pending_.push_back(p);
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(ex_, write_loop(), asio::detached);
    }
    return p;
}

asio::awaitable<value> connection::command_span(std::span<const std::string_view> args) {
    if (!open_) return await_reply(nullptr);
    append_command(out_, args);
    return await_reply(enqueue());
}

asio::awaitable<value> connection::command(const std::vector<std::string>& args) {
    if (!open_) return await_reply(nullptr);
    append_command(out_, args);
    return await_reply(enqueue());
}

asio::awaitable<value> connection::await_reply(std::shared_ptr<pending> p) {
    auto self = shared_from_this();
    if (!p) throw connection_error("Redis " + opts_.where.address() + ": " + (failure_.empty() ? "not connected" : failure_));
    if (!p->done) co_await p->ready.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!p->reply) throw connection_error("Redis " + opts_.where.address() + ": " + p->error);
    if (p->reply->is_error()) throw server_error(p->reply->str);
    co_return std::move(*p->reply);
}

asio::awaitable<void> connection::write_loop() {
    auto self = shared_from_this();
    std::string chunk;
    while (open_ && !out_.empty()) {
        chunk.clear();
        chunk.swap(out_);
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            fail("write failed: " + ec.message());
            break;
        }
    }
    writing_ = false;
}

asio::awaitable<void> connection::read_loop() {
    auto self = shared_from_this();
    std::vector<char> chunk(64 * 1024);
    while (open_) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            fail(ec == asio::error::eof ? "the server closed the connection" : "read failed: " + ec.message());
            co_return;
        }
        in_.append(chunk.data(), n);
        std::size_t used = 0;
        try {
            while (auto d = decode(std::string_view(in_).substr(used), opts_.resp)) {
                used += d->consumed;
                if (pending_.empty()) {
                    fail("a reply nobody asked for: " + describe(d->reply));
                    co_return;
                }
                auto p = pending_.front();
                pending_.pop_front();
                p->reply = std::move(d->reply);
                p->done = true;
                p->ready.cancel();
            }
        } catch (const protocol_error& e) {
            fail(e.what());
            co_return;
        }
        in_.erase(0, used);
        if (in_.size() > opts_.max_reply_bytes) {
            fail("a reply larger than " + std::to_string(opts_.max_reply_bytes) + " bytes");
            co_return;
        }
    }
}

void connection::fail(const std::string& reason) {
    if (failure_.empty()) failure_ = reason;
    open_ = false;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    auto waiting = std::move(pending_);
    pending_.clear();
    for (auto& p : waiting) {
        p->error = failure_;
        p->done = true;
        p->ready.cancel();
    }
    out_.clear();
    closed_signal_.cancel();
}

void connection::close(const std::string& reason) { fail(reason); }

asio::awaitable<void> connection::wait_closed() {
    auto self = shared_from_this();
    if (open_) co_await closed_signal_.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace solgrid::redis
