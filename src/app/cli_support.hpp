// What the store-backed subcommands (`solgrid user|device|token`, `solgrid
// ledger`) share: their two kinds of failure and running one store call to
// the end on the main thread. Main thread only; never on a network thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <stdexcept>
#include <string>

namespace solgrid::app::cli {

// Bad usage: the message goes to stderr and the exit code is 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A command that could not be done (no such user, name taken): exit code 1.
struct command_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Logs go to stderr at `level`, so stdout carries only the command's output
// (a new token alone on its last line).
void log_to_stderr(const std::string& level);

// Runs one store call to the end on a private io_context; rethrows its failure.
template <class T>
T await(boost::asio::awaitable<T> a) {
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
    ioc.run();
    return f.get();
}

}  // namespace solgrid::app::cli
