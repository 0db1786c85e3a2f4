#include "http/api_routes.hpp"

#include "common/json_parse.hpp"
#include "http/json_response.hpp"
#include "http/readiness.hpp"
#include "domain/energy.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cmath>

namespace solgrid::http_api {
namespace {

// A JSON object, strictly parsed (common/json_parse.hpp): a repeated key is
// a 400 naming it, as is anything that is not one well-formed object.
std::optional<boost::json::object> parse_object(std::string_view body, domain::rule_violation& problem) {
    auto parsed = common::parse_json_strict(body);
    if (!parsed.value) {
        problem = {parsed.duplicate_key, parsed.error};
        return std::nullopt;
    }
    if (!parsed.value->is_object()) {
        problem = {"", "body must be a JSON object"};
        return std::nullopt;
    }
    return std::move(parsed.value->as_object());
}

}  // namespace

domain::parsed_sensor_post parse_sensor_body(std::string_view body, const domain::reading_limits& limits) {
    auto parsed = common::parse_json_strict(body);
    if (!parsed.value) {
        domain::parsed_sensor_post out;
        out.problem = {parsed.duplicate_key, parsed.error};
        return out;
    }
    return domain::parse_sensor_post(*parsed.value, limits);
}

parsed_patch parse_relay_patch(std::string_view body) {
    parsed_patch out;
    auto obj = parse_object(body, out.problem);
    if (!obj) return out;
    domain::relay_patch p;
    for (const auto& kv : *obj) {
        std::string key(kv.key());
        if (key.size() != 1 || key[0] < 'A' || key[0] > 'D')
            return out.problem = {key, "unknown household '" + key + "'; expected A, B, C or D"}, out;
        if (!kv.value().is_bool()) return out.problem = {key, key + " must be true or false"}, out;
        p.on[static_cast<std::size_t>(key[0] - 'A')] = kv.value().as_bool();
    }
    if (p.empty()) return out.problem = {"", "body must name at least one of A, B, C, D"}, out;
    out.value = p;
    return out;
}

void add_api_routes(router& r, api_context ctx) {
    auto c = std::make_shared<api_context>(std::move(ctx));
    const auto started = std::chrono::steady_clock::now();

    r.add(http::verb::post, "/api/data/solar", [c](request_context& rc) -> asio::awaitable<response> {
        // Parsed once: the reading and the device's relay report, both checked
        // before anything is stored.
        auto parsed = parse_sensor_body(rc.req.body(), c->limits);
        if (!parsed.value)
            co_return error(http::status::bad_request, parsed.problem.message, parsed.problem.field, rc.req.version());
        // storage_unavailable → 503 in router::dispatch: nothing was stored then.
        auto result = co_await c->ingest.ingest(std::move(*parsed.value), rc.info.remote.address().to_string());
        co_return success(http::status::created, "sensor data saved", domain::sensor_ingest::reply_json(result),
                          rc.req.version());
    }, access::ingest);

    r.add(http::verb::get, "/api/data/latest", [c](request_context& rc) -> asio::awaitable<response> {
        auto latest = c->readings.latest();
        if (!latest) co_return error(http::status::not_found, "no sensor data yet", {}, rc.req.version());
        co_return json(http::status::ok, domain::readings_service::to_json(*latest), rc.req.version());
    });

    r.add(http::verb::post, "/api/relay/update", [c](request_context& rc) -> asio::awaitable<response> {
        auto parsed = parse_relay_patch(rc.req.body());
        if (!parsed.value)
            co_return error(http::status::bad_request, parsed.problem.message, parsed.problem.field, rc.req.version());
        const auto& patch = *parsed.value;
        std::string change;
        for (std::size_t i = 0; i < patch.on.size(); ++i)
            if (patch.on[i])
                change += (change.empty() ? "" : ",") + std::string(1, domain::household_names[i]) + "=" +
                          (*patch.on[i] ? "on" : "off");
        // With AUTH on the guard let only users through; their role decides
        // which relays (with AUTH=off nobody is known and everything is open).
        if (rc.who) {
            for (std::size_t i = 0; i < patch.on.size(); ++i) {
                char letter = domain::household_names[i];
                if (!patch.on[i] || rc.who->may_switch(letter)) continue;
                std::string why = rc.who->role_ == domain::role::household && rc.who->household
                                      ? "household " + std::string(1, *rc.who->household) + " may switch relay " +
                                            std::string(1, *rc.who->household) + " only"
                                      : "the " + std::string(domain::to_string(*rc.who->role_)) +
                                            " role may not switch relays";
                if (c->audit) {
                    auto note = c->audit(rc, "relay.update", change, "denied", why);
                    co_await std::move(note);
                }
                co_return error(http::status::forbidden, why, std::string(1, letter), rc.req.version());
            }
        }
        // The market's delivery rule (issue 13): a relay the market holds off
        // (energy balance 0, SoC at its floor) is not switched on: 409.
        if (c->relay_block) {
            for (std::size_t i = 0; i < patch.on.size(); ++i) {
                if (!patch.on[i] || !*patch.on[i]) continue;
                auto why = c->relay_block(i);
                if (!why) continue;
                std::string letter(1, domain::household_names[i]);
                std::string message = *why == "soc_floor"
                                          ? "relay " + letter + " stays off: the battery is at or below its SoC floor"
                                          : "relay " + letter + " stays off: household " + letter +
                                                "'s energy balance is 0 Wh; buy energy on the market first";
                if (c->audit) {
                    auto note = c->audit(rc, "relay.update", change, "denied", message);
                    co_await std::move(note);
                }
                co_return json(http::status::conflict,
                               boost::json::object{{"success", false}, {"error", message}, {"field", letter},
                                                   {"reason", *why}},
                               rc.req.version());
            }
        }
        auto update = c->relays.update(patch, "api");  // storage_unavailable: nothing changes, 503
        co_await std::move(update);
        if (c->audit) {
            auto note = c->audit(rc, "relay.update", change, "ok", "");
            co_await std::move(note);
        }
        co_return success(http::status::ok, "relay status updated", c->relays.status_json(), rc.req.version());
    }, access::user);

    r.add(http::verb::get, "/api/relay/status", [c](request_context& rc) -> asio::awaitable<response> {
        co_return json(http::status::ok, c->relays.status_json(), rc.req.version());
    });

    // The four household channels: what each is fed by, in one list.
    r.add(http::verb::get, "/api/channels", [c](request_context& rc) -> asio::awaitable<response> {
        auto state = c->relays.current();
        boost::json::array list;
        for (std::size_t i = 0; i < domain::household_names.size(); ++i)
            list.push_back({{"id", std::string(1, domain::household_names[i])}, {"relay_on", state.on[i]}});
        co_return json(http::status::ok, {{"channels", list}}, rc.req.version());
    });

    // Battery energy now, from the newest SoC.
    r.add(http::verb::get, "/api/energy/balance", [c](request_context& rc) -> asio::awaitable<response> {
        boost::json::object o;
        o["battery_capacity_wh"] = c->battery_capacity_wh;
        if (auto latest = c->readings.latest()) {
            o["soc"] = latest->value.soc;
            o["energy_wh"] = domain::battery_energy_wh(latest->value.soc, c->battery_capacity_wh);
            o["timestamp"] = domain::to_iso8601(latest->at);
        } else {
            o["soc"] = nullptr;
            o["energy_wh"] = nullptr;
            o["timestamp"] = nullptr;
        }
        co_return json(http::status::ok, o, rc.req.version());
    });

    r.add(http::verb::get, "/api/config", [c](request_context& rc) -> asio::awaitable<response> {
        co_return json(http::status::ok, {{"battery_capacity_wh", c->battery_capacity_wh}, {"storage", c->storage_kind}},
                       rc.req.version());
    });

    r.add(http::verb::get, "/healthz", [c, started](request_context& rc) -> asio::awaitable<response> {
        auto problem = c->storage_problem ? c->storage_problem() : std::nullopt;
        bool db_ok = !problem;
        boost::json::object o;
        o["status"] = db_ok ? "ok" : "degraded";
        boost::json::object database{{"kind", c->storage_kind}, {"ok", db_ok}};
        if (problem) database["problem"] = *problem;
        o["database"] = std::move(database);
        o["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
        if (c->extra_health)
            for (auto& kv : c->extra_health()) o[kv.key()] = kv.value();
        co_return json(db_ok ? http::status::ok : http::status::service_unavailable, o, rc.req.version());
    }, access::open);

    // Ready for traffic (a load balancer's question), beside /healthz (alive).
    // The schema is migrated before the listener opens (storage::database).
    r.add(http::verb::get, "/readyz", [c](request_context& rc) -> asio::awaitable<response> {
        auto v = readiness({c->storage_problem ? c->storage_problem() : std::nullopt, true,
                            c->shutting_down && c->shutting_down()});
        co_return json(v.status, v.body, rc.req.version());
    }, access::open);
}

}  // namespace solgrid::http_api
