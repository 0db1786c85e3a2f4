// A Redis connection that stays up: connects, and when the connection fails
// (or cannot be made) tries again after 0.1 s, doubling to at most 5 s, for
// as long as it runs. Logs each change of state once (connected; cannot
// connect; connection lost), not each attempt. Runs on ONE executor (an
// io_context thread or a strand) like connection.hpp; connected() and the
// counters may be read from any thread.
// command() goes to the current connection: while there is none it throws
// connection_error at once (the caller decides: drop, retry, or buffer).
#pragma once

#include "redis/connection.hpp"

#include <atomic>
#include <cstdint>
#include <functional>

namespace solgrid::redis {

class client : public std::enable_shared_from_this<client> {
public:
    struct options {
        connection_options connection;
        std::chrono::milliseconds backoff_min{100};
        std::chrono::milliseconds backoff_max{5000};
        std::string label = "Redis";  // log prefix
    };

    static std::shared_ptr<client> create(boost::asio::any_io_executor ex, options opts);

    void start();  // call once; the loop runs until stop()
    void stop();   // closes the connection; the loop ends soon after

    // As connection::command (mind its GCC 12 note).
    boost::asio::awaitable<value> command(const std::vector<std::string>& args);
    template <class... Args>
        requires(sizeof...(Args) > 0 && (std::is_convertible_v<const Args&, std::string_view> && ...))
    boost::asio::awaitable<value> command(const Args&... args) {
        const std::string_view list[] = {std::string_view(args)...};
        return command_span(list);
    }
    boost::asio::awaitable<value> command_span(std::span<const std::string_view> args);

    bool connected() const { return connected_; }
    std::uint64_t connects() const { return connects_; }   // successful connects so far
    std::uint64_t attempts() const { return attempts_; }   // connects tried so far

private:
    client(boost::asio::any_io_executor ex, options opts);
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<value> not_connected();
    void note(bool up, const std::string& why);

    boost::asio::any_io_executor ex_;
    options opts_;
    boost::asio::steady_timer backoff_;
    std::shared_ptr<connection> conn_;  // the live connection, or null
    bool stopping_ = false;
    int logged_ = -1;  // the state last logged: -1 none, 0 down, 1 up
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> connects_{0};
    std::atomic<std::uint64_t> attempts_{0};
};

}  // namespace solgrid::redis
