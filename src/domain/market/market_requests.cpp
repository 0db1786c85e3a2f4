// The market service's requests (place, cancel) with their re-runs after a
// conflict with another instance, and sync(): bringing memory up to the
// stored market version (docs/market.md "Several instances").
#include "domain/market/market_state.hpp"

#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace solgrid::domain::market {

using namespace detail;

namespace {

// How often a request runs again after its commit met another instance's
// (each time on a freshly rebuilt book). Reached only when other instances
// keep winning the race for this long; then the caller gets 503.
constexpr int max_conflict_retries = 50;

storage_unavailable too_many_conflicts() {
    return storage_unavailable("the market is busy with other instances' changes; try again");
}

}  // namespace

asio::awaitable<place_outcome> market_service::place(order_request r) {
    place_outcome out;
    bool synced = false;
    for (int attempt = 0;; ++attempt) {
        std::shared_ptr<ticket> t;
        bool refused_short = false;
        {
            std::lock_guard lk(mutex_);
            auto now = begin_locked();
            out = insert_locked(r, now);
            if (out.refused) {
                if (!st_->pending.empty()) enqueue_locked();  // expiries
                refused_short = out.refused->kind == refusal::code::insufficient_energy ||
                                out.refused->kind == refusal::code::insufficient_money;
                if (!refused_short || synced) ++counts_.orders_refused;
            } else {
                t = enqueue_locked();
            }
        }
        if (out.refused) {
            // Short of energy or money in this instance's memory: another
            // instance may have changed the balances. Check once (one SELECT).
            if (!refused_short || synced) co_return out;
            synced = true;
            bool moved = false;
            {
                auto op = sync_moved();
                moved = co_await std::move(op);
            }
            if (!moved) {
                std::lock_guard lk(mutex_);
                ++counts_.orders_refused;
                co_return out;
            }
            continue;
        }
        auto done = committed(std::move(t));  // named: no temporary inside co_await (GCC 12, README)
        if (co_await std::move(done)) break;
        if (attempt + 1 >= max_conflict_retries) throw too_many_conflicts();
    }
    {
        std::lock_guard lk(mutex_);
        ++counts_.orders_accepted;
    }
    co_return out;
}

asio::awaitable<bool> market_service::committed(std::shared_ptr<ticket> t) {
    try {
        auto done = wait(std::move(t));
        co_await std::move(done);
    } catch (const market_conflict&) {
        co_return false;
    }
    co_return true;
}

asio::awaitable<cancel_outcome> market_service::cancel(std::int64_t id, std::optional<std::string> household) {
    cancel_outcome out;
    bool synced = false;
    for (int attempt = 0;; ++attempt) {
        std::shared_ptr<ticket> t;
        {
            std::lock_guard lk(mutex_);
            auto now = begin_locked();
            auto it = st_->open.find(id);
            if (it != st_->open.end() && (!household || it->second.rec.household == *household)) {
                st_->book.cancel(static_cast<order_id>(id));
                end_order_locked(id, record_status::cancelled, end_reason::user, now);
                auto idx = st_->pending_index.at(id);
                out.order = idx.first ? st_->pending.new_orders[idx.second] : st_->pending.changed_orders[idx.second];
                t = enqueue_locked();
            } else if (!st_->pending.empty()) {
                enqueue_locked();
            }
        }
        if (!t) break;
        auto done = committed(std::move(t));  // named: no temporary inside co_await (GCC 12, README)
        if (co_await std::move(done)) {
            std::lock_guard lk(mutex_);
            ++counts_.orders_cancelled;
            co_return out;
        }
        if (attempt + 1 >= max_conflict_retries) throw too_many_conflicts();
    }
    // Not open here: unknown (404), someone else's (404: not revealed), or no
    // longer open (409, with its state) — unless the database says it is open:
    // then another instance placed it after this one last read the market.
    std::optional<order_record> stored;
    {
        auto op = store_.order(id);
        stored = co_await std::move(op);
    }
    if (stored && stored->status == record_status::open && !synced &&
        (!household || stored->household == *household)) {
        synced = true;
        bool moved = false;
        {
            auto op = sync_moved();
            moved = co_await std::move(op);
        }
        if (moved) {
            auto again = cancel(id, std::move(household));
            co_return co_await std::move(again);
        }
    }
    if (!stored || (household && stored->household != *household)) {
        out.refused = refusal{refusal::code::unknown_order, "id", "no order " + std::to_string(id)};
        co_return out;
    }
    out.order = *stored;
    out.refused = refusal{refusal::code::not_open, "id",
                          "order " + std::to_string(id) + " is " + std::string(to_string(stored->status)) +
                              ", not open"};
    co_return out;
}

asio::awaitable<bool> market_service::sync_moved() {
    std::int64_t stored = 0;
    try {
        auto op = store_.version();
        stored = co_await std::move(op);
    } catch (const std::exception& e) {
        spdlog::debug("market: cannot read the market version ({})", e.what());
        co_return false;
    }
    std::shared_ptr<ticket> t;
    {
        std::lock_guard lk(mutex_);
        if (!st_->ready || stored <= st_->version) co_return false;
        st_->resync_to = std::max(st_->resync_to, stored);
        t = enqueue_locked();
    }
    try {
        auto done = wait(std::move(t));  // named: no temporary inside co_await (GCC 12, README)
        co_await std::move(done);
    } catch (const std::exception&) {
        // Conflicted or failed requests of this batch run again or are told;
        // the rebuild happened all the same.
    }
    co_return true;
}

asio::awaitable<void> market_service::sync() {
    auto op = sync_moved();
    co_await std::move(op);
}

}  // namespace solgrid::domain::market
