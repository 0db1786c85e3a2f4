// One TCP connection to a Redis server, on Asio coroutines: connect with a
// deadline, AUTH and SELECT as the URL says, then pipelined commands — each
// command() is written at once, in call order, and completes with its own
// reply in that order. Used from the coroutines of ONE executor (a single
// io_context thread or a strand): command() and close() must be called
// there; connected() may be read anywhere.
//
// Why our own RESP client and not Debian's hiredis: hiredis' async API wants
// an event-loop adapter (libevent, libuv, ...) and its own callbacks; this one
// is Asio-native, shares the io_context and needs no extra thread.
//
// Failures: a transport problem (cannot resolve or connect, deadline passed,
// the server closed the socket or sent bytes that are not RESP) throws
// connection_error from connect() and from every pending and later
// command(); the connection is then dead and the caller decides whether to
// reconnect (client.hpp does, with backoff). An error reply (-WRONGTYPE ...)
// throws server_error from that command only; the connection stays usable.
// A blocking command (XREAD BLOCK, BLPOP) holds up the replies behind it:
// give it a connection of its own. Nothing bounds how many commands are in
// flight: the caller does (bytes from the server are bounded by `limits`
// and max_reply_bytes).
#pragma once

#include "redis/resp.hpp"
#include "redis/url.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <span>
#include <type_traits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::redis {

// The connection cannot carry commands (any more): see what().
class connection_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Redis answered this command with an error reply; what() is that reply
// ("WRONGTYPE Operation against a key holding the wrong kind of value").
class server_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    std::string code() const;  // the reply's first word: WRONGTYPE, ERR, NOAUTH, ...
};

struct connection_options {
    endpoint where;
    std::chrono::milliseconds connect_timeout{5000};  // resolve + connect + AUTH + SELECT
    limits resp;
    // Bytes buffered for one reply not yet complete; beyond: connection_error.
    std::size_t max_reply_bytes = 600u * 1024 * 1024;
};

class connection : public std::enable_shared_from_this<connection> {
public:
    static std::shared_ptr<connection> create(boost::asio::any_io_executor ex, connection_options opts);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Resolves, connects, AUTHs and SELECTs within connect_timeout. Throws
    // connection_error (a refused AUTH included). Call once.
    boost::asio::awaitable<void> connect();

    // Queues the command now (so calls are pipelined in call order) and
    // returns the awaitable of its reply. Throws as the header says.
    // GCC 12: a braced list inside a co_await does not compile, and a
    // temporary std::string there miscompiles (README): pass literals and
    // named strings, `co_await c->command("GET", key)`, or a named vector.
    boost::asio::awaitable<value> command(const std::vector<std::string>& args);
    template <class... Args>
        requires(sizeof...(Args) > 0 && (std::is_convertible_v<const Args&, std::string_view> && ...))
    boost::asio::awaitable<value> command(const Args&... args) {
        const std::string_view list[] = {std::string_view(args)...};
        return command_span(list);
    }
    boost::asio::awaitable<value> command_span(std::span<const std::string_view> args);

    // Closes the socket; pending commands fail with connection_error(reason).
    void close(const std::string& reason = "closed by solgrid");
    // Returns once the connection has failed or been closed.
    boost::asio::awaitable<void> wait_closed();

    bool connected() const { return open_; }
    const std::string& failure() const { return failure_; }  // why it closed
    const connection_options& options() const { return opts_; }

private:
    struct pending;
    connection(boost::asio::any_io_executor ex, connection_options opts);
    std::shared_ptr<pending> enqueue();
    boost::asio::awaitable<value> await_reply(std::shared_ptr<pending> p);
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<void> read_loop();
    void fail(const std::string& reason);

    boost::asio::any_io_executor ex_;
    connection_options opts_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer closed_signal_;
    std::deque<std::shared_ptr<pending>> pending_;
    std::string out_;     // encoded commands not yet handed to the socket
    std::string in_;      // bytes received, not yet a complete reply
    bool writing_ = false;
    bool started_ = false;
    std::atomic<bool> open_{false};
    std::string failure_;
};

}  // namespace solgrid::redis
