#include "redis/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::redis {

namespace asio = boost::asio;

std::shared_ptr<client> client::create(asio::any_io_executor ex, options opts) {
    return std::shared_ptr<client>(new client(std::move(ex), std::move(opts)));
}

client::client(asio::any_io_executor ex, options opts) : ex_(ex), opts_(std::move(opts)), backoff_(ex) {}

void client::start() { asio::co_spawn(ex_, run(), asio::detached); }

void client::stop() {
    stopping_ = true;
    backoff_.cancel();
    if (conn_) conn_->close("client stopped");
}

asio::awaitable<value> client::command_span(std::span<const std::string_view> args) {
    if (!connected_ || !conn_ || !conn_->connected()) return not_connected();
    return conn_->command_span(args);
}

asio::awaitable<value> client::command(const std::vector<std::string>& args) {
    if (!connected_ || !conn_ || !conn_->connected()) return not_connected();
    return conn_->command(args);
}

asio::awaitable<value> client::not_connected() {
    throw connection_error(opts_.label + " " + opts_.connection.where.address() + ": not connected");
    co_return value{};
}

void client::note(bool up, const std::string& why) {
    if (logged_ == static_cast<int>(up)) return;
    const bool was_up = logged_ == 1;
    logged_ = up;
    const auto& where = opts_.connection.where;
    if (up)
        spdlog::info("{}: connected to {} (db {})", opts_.label, where.address(), where.db);
    else
        spdlog::warn("{}: {} {} ({}); retrying with backoff up to {} s", opts_.label,
                     was_up ? "connection lost to" : "cannot connect to", where.address(), why,
                     opts_.backoff_max.count() / 1000.0);
}

asio::awaitable<void> client::run() {
    auto self = shared_from_this();
    auto delay = opts_.backoff_min;
    while (!stopping_) {
        auto conn = connection::create(ex_, opts_.connection);
        conn_ = conn;
        ++attempts_;
        std::string problem;
        try {
            co_await conn->connect();
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (stopping_) break;
        if (problem.empty()) {
            delay = opts_.backoff_min;
            ++connects_;
            connected_ = true;
            note(true, {});
            co_await conn->wait_closed();
            connected_ = false;
            if (stopping_) break;
            problem = conn->failure();
        }
        conn_.reset();
        note(false, problem);
        backoff_.expires_after(delay);
        co_await backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
        delay = std::min(delay * 2, opts_.backoff_max);
    }
    connected_ = false;
    if (conn_) conn_->close("client stopped");
    conn_.reset();
}

}  // namespace solgrid::redis
