// GET /metrics (issue 14): the Prometheus registry of `solgrid serve`,
// filled from the parts app/ wires together. Components keep their own
// plain counters (atomics, or figures under their own lock) and know nothing
// of Prometheus; this file names them (base units, `_total` counters,
// `_seconds` histograms) and reads them when scraped. Only the HTTP request
// counters are pushed as they happen (router observer). Built on the main
// thread before serving; render() from any thread. docs/operations.md lists
// every metric with example alerts.
#pragma once

#include "app/device_link.hpp"
#include "app/realtime.hpp"
#include "common/metrics.hpp"
#include "config/config.hpp"
#include "domain/market/market_service.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "http/router.hpp"
#include "net/http_server.hpp"
#include "storage/database.hpp"

#include <functional>

namespace solgrid::app {

struct metric_sources {
    const config::config& cfg;
    storage::database& db;
    domain::readings_service& readings;
    domain::relay_service& relays;
    domain::market::market_service& market;
    device_link& device;
    realtime& live;
    // The listener once it exists (it is made after the routes).
    std::function<const net::http_server*()> listener;
    // Whether this instance holds the roll-up lease (docs/run-once.md).
    std::function<bool()> aggregation_leader;
};

// Registers every family in `r` and hooks the router's observer and the
// realtime event counter. `r` and the sources must outlive serving.
void register_metrics(common::metrics::registry& r, const metric_sources& s, http_api::router& router);

// GET /metrics: the registry in the text format, behind the access guard
// like other reads unless METRICS_PUBLIC=true.
void add_metrics_route(http_api::router& router, const common::metrics::registry& r, bool metrics_public);

}  // namespace solgrid::app
