// The history API, registered on a router:
//   GET /api/data/history?from=&to=&resolution=raw|hour|day[&format=csv]
//       ISO-8601 times (default: the 24 h before now); JSON
//       {"success":true,"data":{"resolution","from","to","count","rows":[…]}}
//       or, with format=csv or `Accept: text/csv`, a CSV download with the
//       same columns. Hour/day rows end with coverage_s (seconds of the
//       bucket the readings cover; null / empty when unknown). Bad
//       parameters → 400 naming the parameter (times outside 1678–2261 or
//       zone offsets beyond ±14:00 too); more rows
//       than the limit → 400 with "limit"; database down → 503.
//   GET /api/energy/summary
//       battery Wh now (SoC × capacity), today's solar Wh and SoC min/max
//       (the day of history_settings::utc_offset, UTC by default), the time
//       of the last reading.
// Handlers run on connection strands and only await the domain services;
// rows are formatted by hand with common::number_text (no exponents).
#pragma once

#include "domain/history.hpp"
#include "domain/readings_service.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

struct history_context {
    domain::history_service& history;
    domain::readings_service& readings;
    double battery_capacity_wh = 10000.0;
};

void add_history_routes(router& r, history_context ctx);

// Query parameter `name` as ISO-8601 (nullopt if absent); when present but
// malformed, with an impossible zone offset or out of range, `problem` is
// set to the 400 naming it.
std::optional<domain::time_point> time_param(const request_context& rc, std::string_view name,
                                             std::optional<response>& problem);

}  // namespace solgrid::http_api
