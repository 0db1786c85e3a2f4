// Common HTTP types of the network layer.
#pragma once

#include "net/body.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>

namespace solgrid::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using request = http::request<http::string_body>;
// Text bodies as string_body, or a file streamed from disk (net/body.hpp).
using response = http::response<net::body>;

// Who sent a request. Behind TLS the connection's socket is the plaintext
// end of net::tls_bridge (no TCP peer): `remote` is always the client's own
// address, so use this, never the socket's remote_endpoint(). Behind a
// proxy in TRUSTED_PROXIES, `remote` and `secure` are what its
// X-Forwarded-For / -Proto say, resolved per request (net/forwarded.hpp).
struct request_info {
    tcp::endpoint remote;  // the client (port 0 when a proxy named it)
    bool secure = false;   // arrived over TLS (HTTPS / WSS), or a trusted proxy said https
    // The connection's place under MAX_CONNECTIONS (http_server): it is
    // freed when the last copy goes. Whoever takes over the socket (a
    // WebSocket upgrade) keeps it exactly as long as the socket is open;
    // nobody else may store it.
    std::shared_ptr<void> connection_slot;
    // The connection itself, set by http_server: the TCP peer (the proxy,
    // when one forwarded) and whether it speaks TLS to us.
    tcp::endpoint peer;
    bool tls = false;
    // Who the access guard found is asking (a user's or token's actor name),
    // for the access log; set by the handler of the current request on the
    // connection's strand, cleared by http_server before the next one.
    mutable std::string user;
};

// What the server calls. `http` answers one request (it may suspend, e.g. a
// held long-poll). `upgrade` takes over a connection whose request is a
// WebSocket upgrade that `wants_upgrade` accepted; it owns the stream from
// then on (with TLS, a plaintext socket bridged to the client: write to it as
// to any socket). All are called on the connection's strand.
struct handlers {
    std::function<asio::awaitable<response>(request&, const request_info&)> http;
    std::function<bool(const request&)> wants_upgrade;
    std::function<asio::awaitable<void>(beast::tcp_stream, request, request_info)> upgrade;
};

}  // namespace solgrid::net
