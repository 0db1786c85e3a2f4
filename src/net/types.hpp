// Common HTTP types of the network layer.
#pragma once

#include "net/body.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>

namespace solgrid::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using request = http::request<http::string_body>;
// Text bodies as string_body, or a file streamed from disk (net/body.hpp).
using response = http::response<net::body>;

struct request_info {
    tcp::endpoint remote;
    bool secure = false;  // arrived over TLS
};

// What the server calls. `http` answers one request (it may suspend, e.g. a
// held long-poll). `upgrade` takes over a connection whose request is a
// WebSocket upgrade that `wants_upgrade` accepted; it owns the stream from
// then on. All are called on the connection's strand.
struct handlers {
    std::function<asio::awaitable<response>(request&, const request_info&)> http;
    std::function<bool(const request&)> wants_upgrade;
    std::function<asio::awaitable<void>(beast::tcp_stream, request)> upgrade;
};

}  // namespace solgrid::net
