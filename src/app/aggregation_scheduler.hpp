// aggregate_old_data on a clock: history_service::aggregate() once at start
// (to catch up hours missed while the server was down), then at minute 0 of
// every hour as the seed's scheduler does, and again at minute 0 + (margin
// mod 1 h) when that is not minute 0 — when an hour becomes final (see
// domain::is_final_hour; margin = max(AGGREGATE_MAX_GAP_S, AGGREGATE_BRIDGE_MAX_S)).
// A coroutine on the server's io_context that only awaits the database's own
// threads, so it never blocks a network thread. A failed run (database down)
// is logged and simply tried again at the next slot: every run catches up.
//
// Several instances on one database (issue 15, docs/run-once.md): only the
// holder of the lease "aggregation" (domain::lease_store) runs it. Every
// instance claims or renews the lease every ttl/3 (also while a long run is
// in flight, so the holder keeps it); the others stand by, log who runs it
// once per change, and take over when the holder releases it (clean stop) or
// it expires (holder killed or hung). Taking the lease over starts with a
// catch-up run, as a start does. A database error while claiming is logged;
// the holder keeps leading only while its last renewal's ttl lasts.
// start()/stop() from any thread; shutdown() is awaited before the
// io_context stops, so the lease is released while the database is open.
#pragma once

#include "config/config.hpp"
#include "domain/history.hpp"
#include "domain/lease.hpp"

#include <boost/json/object.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/system_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace solgrid::app {

namespace asio = boost::asio;

class aggregation_scheduler {
public:
    // `holder`: this process's id in the lease table (see instance_id()).
    aggregation_scheduler(asio::any_io_executor ex, domain::history_service& history, domain::lease_store& leases,
                          std::string holder, std::chrono::seconds lease_ttl);
    ~aggregation_scheduler();

    void start();
    void stop();
    // Stops, and gives the lease up if this instance holds it.
    asio::awaitable<void> shutdown();
    // For /healthz and /metrics: {"leader": bool} (no ids: /healthz is open). Any thread.
    boost::json::object health() const;

    struct state;  // shared with the running coroutine

private:
    std::shared_ptr<state> state_;
};

// When the scheduler runs next after `now`: minute 0, or minute 0 + (margin mod 1 h).
domain::time_point next_aggregation_run(domain::time_point now, std::chrono::seconds margin);

// This process's id among instances: "hostname:pid:random hex".
std::string instance_id();

// The history settings the config asks for.
domain::history_settings history_settings_from(const config::config& cfg);

// `solgrid aggregate`: one run of aggregate_old_data against the configured
// database, on the calling thread; prints what it did. Returns the exit code.
int run_aggregate_once(const config::config& cfg);

}  // namespace solgrid::app
