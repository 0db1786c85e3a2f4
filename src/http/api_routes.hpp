// The REST API of SPEC §2 (data, relay, channels, energy) and /healthz,
// registered on a router. Handlers parse and validate JSON, call the domain
// services; the domain failures they let through (storage_unavailable, …)
// become statuses in router::dispatch.
#pragma once

#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "domain/sensor_ingest.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

struct api_context {
    domain::readings_service& readings;
    domain::relay_service& relays;
    domain::sensor_ingest& ingest;                 // POST /api/data/solar
    double battery_capacity_wh = 10000.0;
    std::string storage_kind;                      // "sqlite" / "mysql"
    // /healthz: why the database is not usable (nullopt while it is).
    std::function<std::optional<std::string>()> storage_problem;
    std::function<boost::json::object()> extra_health;  // realtime stats, optional
    // /readyz: true once a shutdown signal arrived (unset: never).
    std::function<bool()> shutting_down;
    domain::reading_limits limits;                       // SOLAR_W_MAX, LUX_MAX
    // Writes an audit row for what the caller did (AUTH on; unset with AUTH=off).
    std::function<asio::awaitable<void>(const request_context&, std::string action, std::string target,
                                        std::string outcome, std::string detail)>
        audit;
    // Why relay i may not be switched on now ("energy_balance", "soc_floor"),
    // from the market (unset: no market rule).
    std::function<std::optional<std::string>(std::size_t)> relay_block;
};

// A sensor POST body (strict JSON: a repeated key is refused, naming it)
// as the domain reads it, or which field is wrong.
domain::parsed_sensor_post parse_sensor_body(std::string_view body, const domain::reading_limits& limits = {});

// Parses a relay update body ({"A":true,...}, any subset, booleans only).
struct parsed_patch {
    std::optional<domain::relay_patch> value;
    domain::rule_violation problem;
};
parsed_patch parse_relay_patch(std::string_view body);

void add_api_routes(router& r, api_context ctx);

}  // namespace solgrid::http_api
