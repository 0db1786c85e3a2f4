#include "device/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace solgrid::device {

namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::optional<base_url> parse_base_url(const std::string& url, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<base_url> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return fail("'" + url + "' is not a URL (expected http://host:port)");
    if (parsed->scheme() != "http") return fail("only http:// URLs are supported (got '" + url + "')");
    if (parsed->host_address().empty()) return fail("'" + url + "' has no host");
    if (parsed->has_query() || parsed->has_fragment()) return fail("'" + url + "' must not have a query or fragment");
    base_url b;
    b.host = std::string(parsed->host_address());
    if (parsed->has_port()) {
        if (parsed->port_number() == 0) return fail("'" + url + "' has an invalid port");
        b.port = std::to_string(parsed->port_number());
    }
    b.prefix = std::string(parsed->path());
    while (!b.prefix.empty() && b.prefix.back() == '/') b.prefix.pop_back();
    return b;
}

asio::awaitable<http_result> http_request(base_url base, http::verb method, std::string path,
                                          std::string body, std::chrono::milliseconds timeout,
                                          header_list headers) {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    auto ex = co_await asio::this_coro::executor;
    const std::string peer = base.authority();

    tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(base.host, base.port, use_tuple);
    if (rec) throw http_client_error("resolve " + base.host + ": " + rec.message());

    beast::tcp_stream stream(ex);
    // One deadline for connect, write and read together.
    stream.expires_after(timeout);
    auto timed_out = [&](const boost::system::error_code& ec) { return ec == beast::error::timeout; };
    auto no_answer = [&] {
        return http_client_error("no answer from " + peer + " within " + std::to_string(timeout.count()) + " ms");
    };

    auto started = std::chrono::steady_clock::now();
    auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
    if (cec) {
        if (timed_out(cec)) throw no_answer();
        throw http_client_error("connect to " + peer + ": " + cec.message());
    }

    http::request<http::string_body> req{method, base.prefix + path, 11};
    req.set(http::field::host, peer);
    req.set(http::field::user_agent, "solgrid");
    req.set(http::field::connection, "close");
    for (auto& [field, value] : headers) req.set(field, std::move(value));
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
    }
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
        if (timed_out(wec)) throw no_answer();
        throw http_client_error("send to " + peer + ": " + wec.message());
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    auto [ec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) {
        if (timed_out(ec)) throw no_answer();
        throw http_client_error("read from " + peer + ": " + ec.message());
    }
    http_result out;
    out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    auto res = parser.release();
    out.status = res.result_int();
    out.body = std::move(res.body());
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
}

}  // namespace solgrid::device
