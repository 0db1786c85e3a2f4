#include "http/access.hpp"

#include "http/credentials.hpp"
#include "http/json_response.hpp"

namespace solgrid::http_api {
namespace {

bool changes_state(http::verb v) {
    return v != http::verb::get && v != http::verb::head && v != http::verb::options;
}

}  // namespace

presented identify(const domain::auth_service& auth, const request& req) {
    presented p;
    if (auto it = req.find(http::field::authorization); it != req.end()) {
        auto token = bearer_token(it->value());
        if (token) p.who = auth.by_token(*token);
        p.bad_token = !p.who;
        return p;
    }
    for (auto it = req.find(http::field::cookie); it != req.end() && it->name() == http::field::cookie; ++it) {
        auto value = cookie_value(it->value(), "solgrid_session");
        if (!value) continue;
        p.has_cookie = true;
        p.who = auth.by_session(*value);
        break;
    }
    return p;
}

access_control::access_control(domain::auth_service& auth, net::cors_policy cors, access_settings s)
    : auth_(auth), cors_(std::move(cors)), settings_(std::move(s)), ingest_buckets_(settings_.ingest_rate, settings_.ingest_burst) {}

asio::awaitable<std::optional<response>> access_control::refuse(request_context& ctx, http::status status,
                                                                std::string why, std::string field) {
    auto res = error(status, why, field, ctx.req.version());
    if (status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer realm=\"solgrid\"");
    if (changes_state(ctx.req.method())) {
        // Refused attempts to change something are audited; refused reads are not
        // (they change nothing and would let anyone fill the log).
        std::string actor = ctx.who ? ctx.who->actor() : "anonymous";
        std::string action = std::string(ctx.req.method_string()) + " " + ctx.path;
        auto note = auth_.audit(actor, ctx.address(), action, "", "denied",
                                std::to_string(static_cast<unsigned>(status)) + " " + why);
        co_await std::move(note);
    }
    co_return res;
}

asio::awaitable<std::optional<response>> access_control::check(request_context& ctx, access needs) {
    auto found = identify(auth_, ctx.req);
    ctx.who = found.who;
    if (ctx.who) ctx.info.user = ctx.who->actor();
    if (found.has_cookie && changes_state(ctx.req.method()) && !cors_.origin_present_and_allowed(ctx.req)) {
        // A browser sends the cookie with a request another site makes it send;
        // it also sends that site's Origin, which is how we tell.
        ctx.who.reset();
        auto r = refuse(ctx, http::status::forbidden,
                        "cross-site request refused: the Origin header must be this server's own origin or one in "
                        "CORS_ORIGINS");
        co_return co_await std::move(r);
    }
    if (found.bad_token) {
        auto r = refuse(ctx, http::status::unauthorized, "invalid or revoked token");
        co_return co_await std::move(r);
    }
    const auto& who = ctx.who;
    switch (needs) {
        case access::open:
            co_return std::nullopt;
        case access::read:
            if (who || settings_.public_read) co_return std::nullopt;
            break;
        case access::ingest: {
            std::string key;
            if (who && who->is_device()) {
                key = who->credential;
            } else if (who) {
                auto r = refuse(ctx, http::status::forbidden, "readings are posted by devices: use a device token");
                co_return co_await std::move(r);
            } else if (settings_.trusted_devices.contains(ctx.info.remote.address())) {
                key = "a:" + ctx.address();
            } else {
                auto r = refuse(ctx, http::status::unauthorized,
                                "a device token is needed (Authorization: Bearer …) from outside DEVICE_TRUSTED_NETWORKS");
                co_return co_await std::move(r);
            }
            if (auto wait = ingest_buckets_.take(key)) {
                auto res = error(http::status::too_many_requests,
                                 "too many readings; try again in " + std::to_string(wait->count()) + " s", {},
                                 ctx.req.version());
                res.set(http::field::retry_after, std::to_string(wait->count()));
                co_return res;
            }
            co_return std::nullopt;
        }
        case access::user:
            if (who && !who->is_device()) co_return std::nullopt;
            if (who) {
                auto r = refuse(ctx, http::status::forbidden, "a device token may only post readings");
                co_return co_await std::move(r);
            }
            break;
        case access::admin:
            if (who && who->is_admin()) co_return std::nullopt;
            if (who) {
                auto r = refuse(ctx, http::status::forbidden, "this needs the admin role");
                co_return co_await std::move(r);
            }
            break;
    }
    std::string why = found.has_cookie ? "session expired or logged out; log in again" : "not logged in";
    auto r = refuse(ctx, http::status::unauthorized, why);
    co_return co_await std::move(r);
}

}  // namespace solgrid::http_api
