#include "http/router.hpp"

#include "common/log_throttle.hpp"
#include "domain/ports.hpp"
#include "http/json_response.hpp"

#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace solgrid::http_api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A request that carries (or claims to carry) a body meant for a JSON route.
bool sends_body(const request& req) {
    switch (req.method()) {
        case http::verb::post:
        case http::verb::put:
        case http::verb::patch:
        case http::verb::delete_:
            return !req.body().empty() || req.find(http::field::content_type) != req.end();
        default:
            return false;
    }
}

response unsupported_media_type(const request& req) {
    auto given = req[http::field::content_type];
    std::string got = given.empty() ? "none given" : "got " + std::string(given.substr(0, 100));
    return error(http::status::unsupported_media_type, "Content-Type must be application/json (" + got + ")", {},
                 req.version());
}

}  // namespace

bool is_json_content_type(std::string_view value) {
    auto media = trim(value.substr(0, value.find(';')));
    return iequals(media, "application/json");
}

std::optional<std::string> request_context::query(std::string_view name) const {
    auto params = url.params();
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string((*it).value);
}

std::string request_context::address() const { return info.remote.address().to_string(); }

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    while (!path.empty()) {
        if (path.front() == '/') path.remove_prefix(1);
        auto slash = path.find('/');
        out.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

}  // namespace

void router::add(http::verb method, std::string path, handler h, std::optional<access> a) {
    route r{std::move(h), a.value_or(method == http::verb::get ? access::read : access::admin)};
    if (path.find("{}") == std::string::npos) {
        routes_[std::move(path)][method] = std::move(r);
        return;
    }
    auto parts = split_path(path);
    for (auto& [p, methods] : patterns_)
        if (p == parts) {
            methods[method] = std::move(r);
            return;
        }
    patterns_.emplace_back(std::move(parts), by_method{}).second[method] = std::move(r);
    pattern_paths_.push_back(std::move(path));
}

const router::by_method* router::find(request_context& ctx, std::string_view* route) const {
    if (auto it = routes_.find(ctx.path); it != routes_.end()) {
        if (route) *route = it->first;
        return &it->second;
    }
    if (patterns_.empty()) return nullptr;
    auto parts = split_path(ctx.path);
    for (std::size_t k = 0; k < patterns_.size(); ++k) {
        const auto& [p, methods] = patterns_[k];
        if (p.size() != parts.size()) continue;
        std::vector<std::string> params;
        bool match = true;
        for (std::size_t i = 0; i < p.size() && match; ++i) {
            if (p[i] == "{}") {
                if (parts[i].empty()) match = false;
                else params.push_back(parts[i]);
            } else {
                match = p[i] == parts[i];
            }
        }
        if (match) {
            ctx.params = std::move(params);
            if (route) *route = pattern_paths_[k];
            return &methods;
        }
    }
    return nullptr;
}

void router::mount(std::string prefix, handler h) { mounts_.emplace_back(std::move(prefix), std::move(h)); }

response router::answer_for(std::exception_ptr failure, const request_context& ctx) {
    static common::log_throttle storage_down{std::chrono::seconds(10)};
    const auto& req = ctx.req;
    try {
        std::rethrow_exception(failure);
    } catch (const domain::storage_unavailable& e) {
        if (auto held = storage_down.admit())
            spdlog::warn("{} {}: database unavailable: {}{}", std::string(req.method_string()), ctx.path, e.what(),
                         common::suppressed_note(*held));
        auto res = error(http::status::service_unavailable, "database unavailable; try again shortly", {},
                         req.version());
        res.set(http::field::retry_after, "5");
        return res;
    } catch (const domain::storage_refused& e) {
        spdlog::info("{} {}: the database refused the data: {}", std::string(req.method_string()), ctx.path, e.what());
        // The constraint named, never the statement or its values (SOCI appends them).
        std::string_view why = e.what();
        why = why.substr(0, std::min(why.find(" while executing"), std::size_t{200}));
        return error(http::status::unprocessable_entity, "the database refused the data: " + std::string(why), {},
                     req.version());
    } catch (const std::exception& e) {
        spdlog::error("{} {}: internal error: {}", std::string(req.method_string()), ctx.path, e.what());
    } catch (...) {
        spdlog::error("{} {}: internal error: an exception that is not a std::exception",
                      std::string(req.method_string()), ctx.path);
    }
    return error(http::status::internal_server_error, "internal error", {}, req.version());
}

asio::awaitable<response> router::guarded(const handler& h, request_context& ctx) const {
    std::exception_ptr failure;
    response res;
    try {
        auto op = h(ctx);
        res = co_await std::move(op);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) res = answer_for(failure, ctx);
    co_return res;
}

asio::awaitable<response> router::dispatch(request& req, const net::request_info& info) const {
    if (!observer_) {
        auto op = route_request(req, info, nullptr);
        co_return co_await std::move(op);
    }
    auto started = std::chrono::steady_clock::now();
    std::string_view route = "unmatched";
    auto op = route_request(req, info, &route);
    auto res = co_await std::move(op);
    // A verb Beast does not know keeps its text out of the labels.
    std::string_view method = req.method() == http::verb::unknown ? std::string_view("other") : std::string_view(req.method_string());
    observer_(method, route, res.result_int(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return res;
}

asio::awaitable<response> router::route_request(request& req, const net::request_info& info,
                                                std::string_view* route) const {
    auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) co_return error(http::status::bad_request, "malformed request target", {}, req.version());
    request_context ctx{req, info, std::string(parsed->path()), *parsed};
    bool api = ctx.path.rfind("/api/", 0) == 0;

    if (const auto* found = find(ctx, route)) {
        const auto& by_method = *found;
        if (req.method() == http::verb::options && api) {
            std::string methods;
            for (auto& [m, h] : by_method) methods += std::string(http::to_string(m)) + ", ";
            methods += "OPTIONS";
            co_return cors_.preflight(req, methods, !cors_.allows_any());
        }
        // HEAD runs the GET handler; the server sends its headers without the body.
        auto m = by_method.find(req.method());
        if (m == by_method.end() && req.method() == http::verb::head) m = by_method.find(http::verb::get);
        response res;
        if (m == by_method.end()) {
            res = error(http::status::method_not_allowed,
                        "method " + std::string(req.method_string()) + " not allowed on " + ctx.path, {},
                        req.version());
            std::string allow;
            for (auto& [verb, r] : by_method) allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(verb));
            res.set(http::field::allow, allow);
        } else if (api && sends_body(req) && !is_json_content_type(req[http::field::content_type])) {
            // text/plain and form posts are "simple requests" any web page can send
            // without a CORS preflight; JSON routes take JSON only.
            res = unsupported_media_type(req);
        } else {
            std::optional<response> refused;
            std::exception_ptr failure;
            if (guard_) {
                try {
                    auto check = guard_(ctx, m->second.needs);
                    refused = co_await std::move(check);
                } catch (...) {
                    failure = std::current_exception();
                }
            }
            if (failure) res = answer_for(failure, ctx);
            else if (refused) res = std::move(*refused);
            else res = co_await guarded(m->second.h, ctx);
        }
        if (api) cors_.apply(req, res, !cors_.allows_any());
        co_return res;
    }
    for (const auto& [prefix, h] : mounts_)
        if (ctx.path.rfind(prefix, 0) == 0) {
            if (route) *route = prefix;
            co_return co_await guarded(h, ctx);
        }
    if (api) {
        if (req.method() == http::verb::options) co_return cors_.preflight(req, "GET, POST, OPTIONS", !cors_.allows_any());
        auto res = error(http::status::not_found, "no route " + ctx.path, {}, req.version());
        cors_.apply(req, res, !cors_.allows_any());
        co_return res;
    }
    if (fallback_ && (req.method() == http::verb::get || req.method() == http::verb::head)) {
        if (route) *route = "static";
        co_return co_await guarded(fallback_, ctx);
    }
    co_return error(http::status::not_found, "no route " + ctx.path, {}, req.version());
}

}  // namespace solgrid::http_api
