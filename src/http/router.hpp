// REST routing: exact paths with per-method handlers (405 with Allow for a
// known path and another method), prefix mounts (Engine.IO, static files),
// CORS on /api/* (with credentials for listed origins, so the dev dashboard
// on another port can send its session cookie; never with "*"), and JSON 404s. A body sent to an /api/ route must be
// Content-Type application/json (415 otherwise). The one place where an
// exception from any handler becomes an answer: storage_unavailable → 503,
// storage_refused → 422, anything else → 500 "internal error" (logged with
// the path). Routes are added before the server starts; dispatch() is then
// called concurrently from every connection strand.
#pragma once

#include "domain/auth_service.hpp"
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
    std::vector<std::string> params;  // the segments a "{}" in the route's path matched, decoded
    // Who is asking, once the access guard has looked (nullopt: nobody, or AUTH=off).
    std::optional<domain::principal> who;
    // Query parameter by name, if present (first occurrence).
    std::optional<std::string> query(std::string_view name) const;
    // The client's address as text ("127.0.0.1", "::1").
    std::string address() const;
};

// What a route needs of the caller (checked by the router's guard before
// the handler runs; with no guard — AUTH=off — every route is open).
enum class access {
    open,    // anyone (/healthz, login, the handler decides)
    read,    // any user or token, or anyone with PUBLIC_READ
    ingest,  // a device token, or an address in DEVICE_TRUSTED_NETWORKS
    user,    // a logged-in user (session or user token); the handler checks the role
    admin,   // role admin
};

// True for "application/json", any case, with or without parameters
// ("application/json; charset=utf-8").
bool is_json_content_type(std::string_view value);

using handler = std::function<asio::awaitable<response>(request_context&)>;
// Answers a refusal (401/403/429) or lets the request through, setting ctx.who.
using access_guard = std::function<asio::awaitable<std::optional<response>>(request_context&, access)>;

class router {
public:
    explicit router(net::cors_policy cors) : cors_(std::move(cors)) {}

    // `path` is exact, or has "{}" segments that match one non-empty
    // segment each ("/api/users/{}/password"). Without `a`: GET routes are
    // `read`, others `admin` (a route that forgets to say stays closed).
    void add(http::verb method, std::string path, handler h, std::optional<access> a = std::nullopt);
    void guard(access_guard g) { guard_ = std::move(g); }
    // Requests whose path starts with `prefix` (checked in mount order).
    void mount(std::string prefix, handler h);
    // Called for GET/HEAD requests nothing else matched (the SPA).
    void fallback(handler h) { fallback_ = std::move(h); }

    asio::awaitable<response> dispatch(request& req, const net::request_info& info) const;

    // Told about every answered request (for /metrics): its method, the
    // route it matched — the route's path as added ("/api/users/{}/password"),
    // a mount's prefix, "static" for the fallback, "unmatched" otherwise, so
    // the label set stays bounded whatever clients send — its status and how
    // long dispatch took. Set before serving; called on the request's strand.
    using request_observer = std::function<void(std::string_view method, std::string_view route, unsigned status,
                                                double seconds)>;
    void observe(request_observer o) { observer_ = std::move(o); }

    const net::cors_policy& cors() const { return cors_; }

private:
    asio::awaitable<response> route_request(request& req, const net::request_info& info, std::string_view* route) const;
    asio::awaitable<response> guarded(const handler& h, request_context& ctx) const;
    static response answer_for(std::exception_ptr failure, const request_context& ctx);

    struct route {
        handler h;
        access needs = access::admin;
    };
    using by_method = std::map<http::verb, route>;
    const by_method* find(request_context& ctx, std::string_view* route) const;

    net::cors_policy cors_;
    access_guard guard_;
    std::map<std::string, by_method, std::less<>> routes_;
    std::vector<std::pair<std::vector<std::string>, by_method>> patterns_;  // split paths with "{}"
    std::vector<std::string> pattern_paths_;  // patterns_[i] as added (metrics labels)
    request_observer observer_;
    std::vector<std::pair<std::string, handler>> mounts_;
    handler fallback_;
};

}  // namespace solgrid::http_api
