// Runs one coroutine to the end on an io_context and returns its result
// (rethrowing what it threw): for unit tests of code that co_awaits.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace solgrid::test {

template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> a) {
    auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return f.get();
}

}  // namespace solgrid::test
