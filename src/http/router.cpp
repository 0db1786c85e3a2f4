#include "http/router.hpp"

#include "http/json_response.hpp"

#include <boost/url/parse.hpp>

namespace solgrid::http_api {

std::optional<std::string> request_context::query(std::string_view name) const {
    auto params = url.params();
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string((*it).value);
}

void router::add(http::verb method, std::string path, handler h) { routes_[std::move(path)][method] = std::move(h); }

void router::mount(std::string prefix, handler h) { mounts_.emplace_back(std::move(prefix), std::move(h)); }

asio::awaitable<response> router::dispatch(request& req, const net::request_info& info) const {
    auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) co_return error(http::status::bad_request, "malformed request target", {}, req.version());
    request_context ctx{req, info, std::string(parsed->path()), *parsed};
    bool api = ctx.path.rfind("/api/", 0) == 0;

    if (auto it = routes_.find(ctx.path); it != routes_.end()) {
        const auto& by_method = it->second;
        if (req.method() == http::verb::options && api) {
            std::string methods;
            for (auto& [m, h] : by_method) methods += std::string(http::to_string(m)) + ", ";
            methods += "OPTIONS";
            co_return cors_.preflight(req, methods);
        }
        auto m = by_method.find(req.method());
        if (m == by_method.end() && req.method() == http::verb::head) m = by_method.find(http::verb::get);
        if (m == by_method.end()) {
            auto res = error(http::status::method_not_allowed,
                             "method " + std::string(req.method_string()) + " not allowed on " + ctx.path, {},
                             req.version());
            std::string allow;
            for (auto& [verb, h] : by_method) allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(verb));
            res.set(http::field::allow, allow);
            if (api) cors_.apply(req, res);
            co_return res;
        }
        auto res = co_await m->second(ctx);
        if (api) cors_.apply(req, res);
        if (req.method() == http::verb::head) res.body().clear();
        co_return res;
    }
    for (const auto& [prefix, h] : mounts_)
        if (ctx.path.rfind(prefix, 0) == 0) co_return co_await h(ctx);
    if (api) {
        if (req.method() == http::verb::options) co_return cors_.preflight(req, "GET, POST, OPTIONS");
        auto res = error(http::status::not_found, "no route " + ctx.path, {}, req.version());
        cors_.apply(req, res);
        co_return res;
    }
    if (fallback_ && (req.method() == http::verb::get || req.method() == http::verb::head))
        co_return co_await fallback_(ctx);
    co_return error(http::status::not_found, "no route " + ctx.path, {}, req.version());
}

}  // namespace solgrid::http_api
