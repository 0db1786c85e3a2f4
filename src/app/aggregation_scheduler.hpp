// aggregate_old_data on a clock: history_service::aggregate() once at start
// (to catch up hours missed while the server was down), then at minute 0 of
// every hour as the seed's scheduler does, and again at minute 0 + (margin
// mod 1 h) when that is not minute 0 — when an hour becomes final (see
// domain::is_final_hour; margin = max(AGGREGATE_MAX_GAP_S, AGGREGATE_BRIDGE_MAX_S)).
// A coroutine on the server's io_context that only awaits the database's own
// threads, so it never blocks a network thread. A failed run (database down)
// is logged and simply tried again at the next slot: every run catches up.
// start()/stop() from the thread that owns the io_context or any other.
#pragma once

#include "config/config.hpp"
#include "domain/history.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/system_timer.hpp>

#include <atomic>
#include <memory>

namespace solgrid::app {

namespace asio = boost::asio;

class aggregation_scheduler {
public:
    aggregation_scheduler(asio::any_io_executor ex, domain::history_service& history);
    ~aggregation_scheduler();

    void start();
    void stop();

    struct state;  // shared with the running coroutine

private:
    std::shared_ptr<state> state_;
};

// When the scheduler runs next after `now`: minute 0, or minute 0 + (margin mod 1 h).
domain::time_point next_aggregation_run(domain::time_point now, std::chrono::seconds margin);

// The history settings the config asks for.
domain::history_settings history_settings_from(const config::config& cfg);

// `solgrid aggregate`: one run of aggregate_old_data against the configured
// database, on the calling thread; prints what it did. Returns the exit code.
int run_aggregate_once(const config::config& cfg);

}  // namespace solgrid::app
