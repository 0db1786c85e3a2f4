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

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <random>

#include <unistd.h>

namespace solgrid::app {

struct aggregation_scheduler::state {
    state(asio::any_io_executor ex, domain::history_service& h, domain::lease_store& l, std::string id,
          std::chrono::seconds t)
        : strand(asio::make_strand(std::move(ex))), timer(strand), history(h), leases(l), holder(std::move(id)),
          ttl(t) {}
    asio::strand<asio::any_io_executor> strand;  // the loop, the runs and their bookkeeping
    asio::system_timer timer;
    domain::history_service& history;
    domain::lease_store& leases;
    const std::string holder;  // this instance
    const std::chrono::seconds ttl;
    std::atomic<bool> stopped{false};
    std::atomic<bool> leader{false};
    // Strand only:
    bool running = false;       // a run is in flight
    bool claim_failing = false;  // the last claim failed (logged once)
    std::string logged;          // the holder last named in the log
    std::chrono::steady_clock::time_point valid_until{};  // our lease lasts at least until then
    // Any thread (health()):
    mutable std::mutex m;
    std::string current;  // who held the lease at the last claim
};

namespace {

constexpr const char* lease_name = "aggregation";

void log_report(const domain::aggregation_report& r) {
    if (r.rolled_up || r.raw_deleted)
        spdlog::info("aggregate_old_data: {} hour(s) rolled up, {} already done, {} open, {} raw reading(s) deleted",
                     r.rolled_up, r.already_done, r.waiting, r.raw_deleted);
    else
        spdlog::debug("aggregate_old_data: nothing to do ({} open hour(s))", r.waiting);
}

asio::awaitable<void> run_aggregation(std::shared_ptr<aggregation_scheduler::state> st) {
    try {
        auto report = co_await st->history.aggregate(domain::clock::now());
        log_report(report);
    } catch (const std::exception& e) {
        spdlog::warn("aggregate_old_data failed, will retry at the next slot: {}", e.what());
    }
    st->running = false;
}

// Logs a change of holder once: this instance took the lease, lost it, or
// another instance runs the roll-up.
void note_holder(aggregation_scheduler::state& st, bool held, const std::string& holder) {
    {
        std::lock_guard lock(st.m);
        st.current = holder;
    }
    if (held && !st.leader)
        spdlog::info("aggregation: this instance ({}) holds the lease and runs aggregate_old_data", st.holder);
    else if (!held && st.leader)
        spdlog::warn("aggregation: this instance ({}) lost the lease to {}; it stops running aggregate_old_data",
                     st.holder, holder);
    if (!held && holder != st.logged)
        spdlog::info("aggregation runs on {} (this instance {} stands by)", holder, st.holder);
    st.logged = held ? st.holder : holder;
}

// Claims or renews the lease; true while this instance holds it.
asio::awaitable<bool> claim(aggregation_scheduler::state& st) {
    const auto asked = std::chrono::steady_clock::now();
    try {
        auto op = st.leases.try_acquire(lease_name, st.holder, std::chrono::milliseconds(st.ttl));
        auto c = co_await std::move(op);
        if (c.held) st.valid_until = asked + st.ttl;
        if (st.claim_failing) spdlog::info("aggregation: the lease can be claimed again");
        st.claim_failing = false;
        note_holder(st, c.held, c.holder);
        co_return c.held;
    } catch (const std::exception& e) {
        if (!st.claim_failing) spdlog::warn("aggregation: could not claim the lease: {}", e.what());
        st.claim_failing = true;
    }
    // Unknown: a holder keeps leading only as long as its last renewal lasts.
    co_return st.leader && std::chrono::steady_clock::now() < st.valid_until;
}

asio::awaitable<void> release_lease(std::shared_ptr<aggregation_scheduler::state> st) {
    try {
        auto op = st->leases.release(lease_name, st->holder);
        co_await std::move(op);
        spdlog::info("aggregation: this instance ({}) released the lease", st->holder);
    } catch (const std::exception& e) {
        spdlog::warn("aggregation: could not release the lease (it expires in {} s): {}", st->ttl.count(), e.what());
    }
}

asio::awaitable<void> run_loop(std::shared_ptr<aggregation_scheduler::state> st) {
    const auto margin = st->history.settings().aggregation.margin();
    const auto recheck = std::chrono::duration_cast<std::chrono::milliseconds>(st->ttl) / 3;
    domain::time_point next_slot{};
    while (!st->stopped) {
        const bool was = st->leader;
        const bool lead = co_await claim(*st);
        if (st->stopped) {
            // Stopped while claiming: give back what the claim may have taken.
            if (lead) co_await release_lease(st);
            st->leader = false;
            break;
        }
        if (was && !lead && st->claim_failing) {
            spdlog::warn("aggregation: the lease could not be renewed for LEASE_TTL_S ({} s): this instance stops "
                         "running aggregate_old_data until it holds the lease again",
                         st->ttl.count());
            st->logged.clear();
        }
        st->leader = lead;
        const auto now = domain::clock::now();
        // Newly the holder (at start or taking over): catch up at once, as a
        // start does; then at the slots. A run still in flight covers a slot.
        if (lead && (!was || now >= next_slot)) {
            if (!st->running) {
                st->running = true;
                asio::co_spawn(st->strand, run_aggregation(st), asio::detached);
            }
            next_slot = next_aggregation_run(now, margin);
        }
        auto wake = now + recheck;
        if (lead && next_slot < wake) wake = next_slot;
        st->timer.expires_at(wake);
        boost::system::error_code ec;
        co_await st->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace

aggregation_scheduler::aggregation_scheduler(asio::any_io_executor ex, domain::history_service& history,
                                             domain::lease_store& leases, std::string holder,
                                             std::chrono::seconds lease_ttl)
    : state_(std::make_shared<state>(std::move(ex), history, leases, std::move(holder), lease_ttl)) {}

aggregation_scheduler::~aggregation_scheduler() { stop(); }

void aggregation_scheduler::start() {
    spdlog::info("aggregation: instance {} (lease \"{}\", LEASE_TTL_S={})", state_->holder, lease_name,
                 state_->ttl.count());
    asio::co_spawn(state_->strand, run_loop(state_), asio::detached);
}

void aggregation_scheduler::stop() {
    if (state_->stopped.exchange(true)) return;
    asio::post(state_->strand, [st = state_] { st->timer.cancel(); });
}

asio::awaitable<void> aggregation_scheduler::shutdown() {
    stop();
    if (!state_->leader.exchange(false)) co_return;
    auto op = release_lease(state_);
    co_await std::move(op);
}

boost::json::object aggregation_scheduler::health() const {
    std::lock_guard lock(state_->m);
    // Only whether: /healthz is open to anyone, and the ids name the host and
    // pid (the log says who holds it).
    return {{"leader", state_->leader.load()}};
}

std::string instance_id() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
    std::random_device rd;
    char tail[16];
    std::snprintf(tail, sizeof tail, "%08x", static_cast<unsigned>(rd()));
    return std::string(host) + ":" + std::to_string(::getpid()) + ":" + tail;
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
