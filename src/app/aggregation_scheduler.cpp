#include "app/aggregation_scheduler.hpp"

#include "app/server_app.hpp"
#include "storage/database.hpp"
#include "storage/sql_history_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace solgrid::app {

struct aggregation_scheduler::state {
    state(asio::any_io_executor ex, domain::history_service& h) : timer(ex), history(h) {}
    asio::system_timer timer;
    domain::history_service& history;
    std::atomic<bool> stopped{false};
};

namespace {

void log_report(const domain::aggregation_report& r) {
    if (r.rolled_up || r.raw_deleted)
        spdlog::info("aggregate_old_data: {} hour(s) rolled up, {} already done, {} open, {} raw reading(s) deleted",
                     r.rolled_up, r.already_done, r.waiting, r.raw_deleted);
    else
        spdlog::debug("aggregate_old_data: nothing to do ({} open hour(s))", r.waiting);
}

asio::awaitable<void> run_loop(std::shared_ptr<aggregation_scheduler::state> st) {
    const auto margin = st->history.settings().aggregation.margin();
    while (!st->stopped) {
        try {
            auto report = co_await st->history.aggregate(domain::clock::now());
            log_report(report);
        } catch (const std::exception& e) {
            spdlog::warn("aggregate_old_data failed, will retry at the next slot: {}", e.what());
        }
        if (st->stopped) break;
        st->timer.expires_at(next_aggregation_run(domain::clock::now(), margin));
        boost::system::error_code ec;
        co_await st->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace

aggregation_scheduler::aggregation_scheduler(asio::any_io_executor ex, domain::history_service& history)
    : state_(std::make_shared<state>(std::move(ex), history)) {}

aggregation_scheduler::~aggregation_scheduler() { stop(); }

void aggregation_scheduler::start() {
    asio::co_spawn(state_->timer.get_executor(), run_loop(state_), asio::detached);
}

void aggregation_scheduler::stop() {
    if (state_->stopped.exchange(true)) return;
    asio::post(state_->timer.get_executor(), [st = state_] { st->timer.cancel(); });
}

domain::time_point next_aggregation_run(domain::time_point now, std::chrono::seconds margin) {
    // Hours become final at minute 0 + (margin mod 1 h) of some later hour.
    auto hour = domain::floor_hour(now);
    const auto offset = margin % domain::one_hour;
    if (offset > offset.zero() && hour + offset > now) return hour + offset;
    return hour + domain::one_hour;
}

domain::history_settings history_settings_from(const config::config& cfg) {
    domain::history_settings s;
    s.aggregation.max_gap = cfg.aggregate_max_gap;
    s.aggregation.bridge_max = cfg.aggregate_bridge_max;
    s.aggregation.raw_retention_days = cfg.raw_retention_days;
    s.max_rows = cfg.history_max_rows;
    s.utc_offset = std::chrono::hours(cfg.utc_offset_hours);
    return s;
}

int run_aggregate_once(const config::config& cfg) {
    storage::database db(database_options_from(cfg));
    storage::sql_history_store store(db);
    domain::history_service history(store, history_settings_from(cfg));
    asio::io_context ioc;
    auto done = asio::co_spawn(ioc, history.aggregate(domain::clock::now()), asio::use_future);
    ioc.run();
    try {
        auto r = done.get();
        std::cout << "aggregate_old_data: " << r.rolled_up << " hour(s) rolled up, " << r.already_done
                  << " already done, " << r.waiting << " open (not final yet), " << r.raw_deleted
                  << " raw reading(s) deleted\n";
        db.close();
        return 0;
    } catch (const std::exception& e) {
        spdlog::error("aggregate_old_data failed: {}", e.what());
        db.close();
        return 1;
    }
}

}  // namespace solgrid::app
