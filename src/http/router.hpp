// REST routing: exact paths with per-method handlers (405 with Allow for a
// known path and another method), prefix mounts (Engine.IO, static files),
// CORS on /api/*, and JSON 404s. A body sent to an /api/ route must be
// Content-Type application/json (415 otherwise). The one place where an
// exception from any handler becomes an answer: storage_unavailable → 503,
// storage_refused → 422, anything else → 500 "internal error" (logged with
// the path). Routes are added before the server starts; dispatch() is then
// called concurrently from every connection strand.
#pragma once

#include "net/cors.hpp"
#include "net/types.hpp"

#include <boost/url/url_view.hpp>

#include <map>
#include <string>

namespace solgrid::http_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using net::request;
using net::response;

struct request_context {
    request& req;
    const net::request_info& info;
    std::string path;       // decoded path without the query
    boost::urls::url_view url;  // for query parameters
    // Query parameter by name, if present (first occurrence).
    std::optional<std::string> query(std::string_view name) const;
};

// True for "application/json", any case, with or without parameters
// ("application/json; charset=utf-8").
bool is_json_content_type(std::string_view value);

using handler = std::function<asio::awaitable<response>(request_context&)>;

class router {
public:
    explicit router(net::cors_policy cors) : cors_(std::move(cors)) {}

    void add(http::verb method, std::string path, handler h);
    // Requests whose path starts with `prefix` (checked in mount order).
    void mount(std::string prefix, handler h);
    // Called for GET/HEAD requests nothing else matched (the SPA).
    void fallback(handler h) { fallback_ = std::move(h); }

    asio::awaitable<response> dispatch(request& req, const net::request_info& info) const;

    const net::cors_policy& cors() const { return cors_; }

private:
    asio::awaitable<response> guarded(const handler& h, request_context& ctx) const;
    static response answer_for(std::exception_ptr failure, const request_context& ctx);

    net::cors_policy cors_;
    std::map<std::string, std::map<http::verb, handler>, std::less<>> routes_;
    std::vector<std::pair<std::string, handler>> mounts_;
    handler fallback_;
};

}  // namespace solgrid::http_api
