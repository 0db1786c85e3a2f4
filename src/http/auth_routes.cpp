#include "http/auth_routes.hpp"

#include "common/json_parse.hpp"
#include "http/credentials.hpp"
#include "http/history_routes.hpp"
#include "http/json_response.hpp"

#include <boost/json.hpp>

#include <stdexcept>

namespace solgrid::http_api {
namespace {

namespace bj = boost::json;

response bad(const request_context& rc, std::string_view why, std::string_view field = {}) {
    return error(http::status::bad_request, why, field, rc.req.version());
}

// The body as an object whose listed fields are strings (others refused).
struct fields {
    std::optional<bj::object> obj;
    std::optional<response> problem;
    std::string text(const char* name) const {
        auto it = obj->find(name);
        return it == obj->end() ? std::string() : std::string(it->value().as_string());
    }
    bool has(const char* name) const { return obj->contains(name); }
};

fields parse_fields(const request_context& rc, std::initializer_list<const char*> required,
                    std::initializer_list<const char*> optional = {}) {
    fields f;
    auto parsed = common::parse_json_strict(rc.req.body());
    if (!parsed.value) return f.problem = bad(rc, parsed.error, parsed.duplicate_key), f;
    if (!parsed.value->is_object()) return f.problem = bad(rc, "body must be a JSON object"), f;
    auto& obj = parsed.value->as_object();
    for (const auto& kv : obj) {
        std::string_view key = kv.key();
        bool known = std::find(required.begin(), required.end(), key) != required.end() ||
                     std::find(optional.begin(), optional.end(), key) != optional.end();
        if (!known) return f.problem = bad(rc, "unknown field '" + std::string(key) + "'", key), f;
        if (!kv.value().is_string() && !kv.value().is_null())
            return f.problem = bad(rc, std::string(key) + " must be a string", key), f;
    }
    for (const char* name : required)
        if (!obj.contains(name) || !obj.at(name).is_string())
            return f.problem = bad(rc, std::string(name) + " is required", name), f;
    // JSON null for an optional field means absent.
    for (const char* name : optional)
        if (obj.contains(name) && obj.at(name).is_null()) obj.erase(name);
    f.obj = std::move(obj);
    return f;
}

bj::value time_or_null(const std::optional<domain::time_point>& t) {
    return t ? bj::value(domain::to_iso8601(*t)) : bj::value(nullptr);
}

std::string actor_of(const request_context& rc) { return rc.who ? rc.who->actor() : "anonymous"; }

}  // namespace

bj::object user_json(const std::string& username, domain::role role, std::optional<char> household) {
    bj::object o;
    o["username"] = username;
    o["role"] = std::string(domain::to_string(role));
    o["household"] = household ? bj::value(std::string(1, *household)) : bj::value(nullptr);
    return o;
}

void add_auth_routes(router& r, auth_routes_context ctx) {
    auto c = std::make_shared<auth_routes_context>(ctx);

    r.add(http::verb::get, "/api/auth/me", [c](request_context& rc) -> asio::awaitable<response> {
        if (!c->auth) {
            bj::object off{{"auth", "off"}, {"username", nullptr}, {"role", "admin"}, {"household", nullptr}};
            co_return json(http::status::ok, off, rc.req.version());
        }
        if (!rc.who || rc.who->is_device()) {
            bj::object nobody{{"success", false}, {"error", "not logged in"}, {"public_read", c->public_read}};
            co_return json(http::status::unauthorized, nobody, rc.req.version());
        }
        auto me = user_json(rc.who->name, *rc.who->role_, rc.who->household);
        me["auth"] = "on";
        co_return json(http::status::ok, me, rc.req.version());
    }, access::open);
    if (!c->auth) return;

    r.add(http::verb::post, "/api/auth/login", [c](request_context& rc) -> asio::awaitable<response> {
        auto f = parse_fields(rc, {"username", "password"});
        if (f.problem) co_return std::move(*f.problem);
        auto attempt = c->auth->login(f.text("username"), f.text("password"), rc.address());
        auto result = co_await std::move(attempt);
        using outcome = domain::auth_service::login_result::outcome;
        if (result.what == outcome::throttled) {
            auto s = std::to_string(result.retry_after.count());
            auto res = error(http::status::too_many_requests, "too many failed logins; try again in " + s + " s", {},
                             rc.req.version());
            res.set(http::field::retry_after, s);
            co_return res;
        }
        if (result.what != outcome::ok || !result.who)
            co_return error(http::status::unauthorized, "invalid username or password", {}, rc.req.version());
        auto res = json(http::status::ok, user_json(result.who->name, *result.who->role_, result.who->household),
                        rc.req.version());
        res.set(http::field::set_cookie, session_cookie(result.cookie, c->session_ttl, rc.info.secure));
        res.set(http::field::cache_control, "no-store");
        co_return res;
    }, access::open);

    r.add(http::verb::post, "/api/auth/logout", [c](request_context& rc) -> asio::awaitable<response> {
        if (rc.who) {
            auto out = c->auth->logout(*rc.who, rc.address());
            co_await std::move(out);
        }
        auto res = json(http::status::ok, bj::object{{"success", true}}, rc.req.version());
        res.set(http::field::set_cookie, clear_session_cookie(rc.info.secure));
        co_return res;
    }, access::user);

    // --- users (admin)
    r.add(http::verb::get, "/api/users", [c](request_context& rc) -> asio::awaitable<response> {
        auto list = co_await c->auth->users();
        bj::array users;
        for (const auto& u : list) {
            auto o = user_json(u.username, u.role_, u.household);
            o["created_at"] = domain::to_iso8601(u.created_at);
            users.push_back(std::move(o));
        }
        co_return json(http::status::ok, bj::object{{"users", std::move(users)}}, rc.req.version());
    }, access::admin);

    r.add(http::verb::post, "/api/users", [c](request_context& rc) -> asio::awaitable<response> {
        auto f = parse_fields(rc, {"username", "password", "role"}, {"household"});
        if (f.problem) co_return std::move(*f.problem);
        auto role = domain::role_from(f.text("role"));
        if (!role) co_return bad(rc, "role must be admin, operator, household or viewer", "role");
        std::optional<char> household;
        if (f.has("household")) {
            auto h = f.text("household");
            if (h.size() != 1 || h[0] < 'A' || h[0] > 'D') co_return bad(rc, "household must be A, B, C or D", "household");
            household = h[0];
        }
        if (*role == domain::role::household && !household)
            co_return bad(rc, "household is required for role household", "household");
        if (*role != domain::role::household && household)
            co_return bad(rc, "household is only for role household", "household");
        std::optional<response> refused;
        std::optional<domain::user> made;
        try {
            auto add = c->auth->add_user(f.text("username"), f.text("password"), *role, household, actor_of(rc),
                                         rc.address());
            made = co_await std::move(add);
        } catch (const std::invalid_argument& e) {
            std::string why = e.what();
            refused = bad(rc, why, why.rfind("password", 0) == 0 ? "password" : "username");
        } catch (const std::domain_error& e) {
            refused = error(http::status::conflict, e.what(), "username", rc.req.version());
        }
        if (refused) co_return std::move(*refused);
        co_return json(http::status::created, user_json(made->username, made->role_, made->household),
                       rc.req.version());
    }, access::admin);

    r.add(http::verb::post, "/api/users/{}/password", [c](request_context& rc) -> asio::awaitable<response> {
        auto f = parse_fields(rc, {"password"});
        if (f.problem) co_return std::move(*f.problem);
        std::optional<response> refused;
        bool ok = false;
        try {
            auto set = c->auth->set_password(rc.params[0], f.text("password"), actor_of(rc), rc.address());
            ok = co_await std::move(set);
        } catch (const std::invalid_argument& e) {
            refused = bad(rc, e.what(), "password");
        }
        if (refused) co_return std::move(*refused);
        if (!ok) co_return error(http::status::not_found, "no user " + rc.params[0], {}, rc.req.version());
        co_return json(http::status::ok, bj::object{{"success", true}}, rc.req.version());
    }, access::admin);

    r.add(http::verb::delete_, "/api/users/{}", [c](request_context& rc) -> asio::awaitable<response> {
        const auto& name = rc.params[0];
        if (rc.who && rc.who->name == name && !rc.who->is_device())
            co_return error(http::status::conflict, "you cannot remove yourself", {}, rc.req.version());
        std::optional<response> refused;
        bool ok = false;
        try {
            auto remove = c->auth->remove_user(name, actor_of(rc), rc.address());
            ok = co_await std::move(remove);
        } catch (const std::domain_error& e) {
            refused = error(http::status::conflict, e.what(), {}, rc.req.version());
        }
        if (refused) co_return std::move(*refused);
        if (!ok) co_return error(http::status::not_found, "no user " + name, {}, rc.req.version());
        co_return json(http::status::ok, bj::object{{"success", true}}, rc.req.version());
    }, access::admin);

    // --- device tokens (admin)
    r.add(http::verb::get, "/api/devices", [c](request_context& rc) -> asio::awaitable<response> {
        auto list = co_await c->auth->devices();
        bj::array devices;
        for (const auto& t : list)
            devices.push_back(bj::object{{"name", t.name},
                                           {"created_at", domain::to_iso8601(t.created_at)},
                                           {"last_used_at", time_or_null(t.last_used_at)},
                                           {"revoked_at", time_or_null(t.revoked_at)}});
        co_return json(http::status::ok, bj::object{{"devices", std::move(devices)}}, rc.req.version());
    }, access::admin);

    r.add(http::verb::post, "/api/devices", [c](request_context& rc) -> asio::awaitable<response> {
        auto f = parse_fields(rc, {"name"});
        if (f.problem) co_return std::move(*f.problem);
        auto name = f.text("name");
        std::optional<response> refused;
        std::string token;
        try {
            auto add = c->auth->add_device(name, actor_of(rc), rc.address());
            token = co_await std::move(add);
        } catch (const std::invalid_argument& e) {
            refused = bad(rc, e.what(), "name");
        } catch (const std::domain_error& e) {
            refused = error(http::status::conflict, e.what(), "name", rc.req.version());
        }
        if (refused) co_return std::move(*refused);
        auto res = json(http::status::created, bj::object{{"name", name}, {"token", token}}, rc.req.version());
        res.set(http::field::cache_control, "no-store");
        co_return res;
    }, access::admin);

    r.add(http::verb::delete_, "/api/devices/{}", [c](request_context& rc) -> asio::awaitable<response> {
        auto revoke = c->auth->revoke_device(rc.params[0], actor_of(rc), rc.address());
        bool ok = co_await std::move(revoke);
        if (!ok) co_return error(http::status::not_found, "no active device token named " + rc.params[0], {},
                                 rc.req.version());
        co_return json(http::status::ok, bj::object{{"success", true}}, rc.req.version());
    }, access::admin);

    // --- audit log (admin)
    r.add(http::verb::get, "/api/audit", [c](request_context& rc) -> asio::awaitable<response> {
        std::optional<response> problem;
        auto to = time_param(rc, "to", problem);
        if (problem) co_return std::move(*problem);
        auto from = time_param(rc, "from", problem);
        if (problem) co_return std::move(*problem);
        auto end = to.value_or(domain::clock::now() + std::chrono::seconds(1));
        auto begin = from.value_or(end - std::chrono::hours(24));
        if (begin > end) co_return bad(rc, "from must not be later than to", "from");
        auto read = c->auth->audit_log(begin, end, 10000);
        auto entries = co_await std::move(read);
        bj::array out;
        for (const auto& e : entries)
            out.push_back(bj::object{{"id", e.id},           {"at", domain::to_iso8601(e.at)},
                                       {"actor", e.actor},     {"address", e.address},
                                       {"action", e.action},   {"target", e.target},
                                       {"outcome", e.outcome}, {"detail", e.detail}});
        co_return json(http::status::ok, bj::object{{"entries", std::move(out)}}, rc.req.version());
    }, access::admin);
}

}  // namespace solgrid::http_api
