// The market service's durability: the group commit (queue, one
// transaction per batch, waiters answered after it), rebuilding from the
// store after a failure, and picking up ledger entries of other processes.
#include "domain/market/market_state.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::domain::market {

using namespace detail;

// ---- rebuilding from the store -------------------------------------------

asio::awaitable<std::shared_ptr<market_service::ticket>> market_service::rebuild(
    std::vector<queued_reading>* unsettled) {
    auto op = store_.load();
    market_snapshot snap = co_await std::move(op);
    std::lock_guard lk(mutex_);
    auto fresh = std::make_unique<state>(s_);
    fresh->ex = st_->ex;
    fresh->soc = snap.settled ? snap.settled->value.soc : st_->soc;
    fresh->flushing = st_->flushing;
    fresh->version = snap.version;
    fresh->settled = snap.settled;
    // Whatever the settlement did since its last stored reading is dropped
    // with the state it was queued on; the next reading settles from the
    // stored newest one (settle_locked rebases).
    if (settlement_committed_) settlement_ = settlement_committed_;
    for (const auto& h : holders) fresh->holders[h];
    for (const auto& [account, b] : snap.accounts)
        if (is_holder_account(account)) {
            fresh->holders[account].energy = b.energy_wh;
            fresh->holders[account].money = b.money;
        }
    for (const auto& rec : snap.open_orders) {
        auto acct = account_from(rec.household);
        if (!acct || rec.status != record_status::open) continue;
        order o{static_cast<order_id>(rec.id), *acct, rec.side, rec.energy_wh - rec.filled_wh, rec.price, rec.tif,
                rec.expires_at ? std::optional<std::int64_t>(to_ms(*rec.expires_at)) : std::nullopt};
        auto res = fresh->book.insert(o, fresh->f);
        if (res.reject != reject_reason::none || !fresh->f.trades.empty() || !fresh->f.self_trade_cancelled.empty()) {
            // A stored book is never crossed; if it is, leave the order out
            // and say so rather than trade at load time.
            spdlog::error("market: stored open order {} cannot rest in the book ({}); left out", rec.id,
                          to_string(res.reject));
            continue;
        }
        auto& h = fresh->holders[rec.household];
        state::held held{rec, 0};
        std::int64_t remaining = rec.energy_wh - rec.filled_wh;
        if (rec.side == side::sell) h.reserved_energy += remaining;
        else {
            held.reserve_money = buy_reserve(remaining, rec.price);
            h.reserved_money += held.reserve_money;
        }
        if (rec.household == "pool" && rec.side == side::sell && s_.pool_prices) fresh->pool_order = rec.id;
        fresh->open.emplace(rec.id, std::move(held));
    }
    fresh->next_order = snap.max_order_id + 1;
    fresh->next_trade = snap.max_trade_id + 1;
    fresh->known_head = snap.ledger_head_id;
    fresh->last_price = snap.last_price;
    fresh->ready = true;
    auto leftover = std::move(st_->pending_ticket);
    if (unsettled)
        for (auto& q : st_->pending_readings) unsettled->push_back(std::move(q));
    st_ = std::move(fresh);
    co_return leftover;
}

// ---- the group commit ------------------------------------------------------

std::shared_ptr<market_service::ticket> market_service::enqueue_locked() {
    if (!st_->pending_ticket) st_->pending_ticket = std::make_shared<ticket>();
    auto t = st_->pending_ticket;
    start_flush_locked();
    return t;
}

void market_service::start_flush_locked() {
    if (st_->flushing || !st_->ex) return;
    st_->flushing = true;
    // Posted, not spawned here: co_spawn may start the coroutine at once on
    // this thread, and the caller holds mutex_.
    asio::post(st_->ex, [this, ex = st_->ex] { asio::co_spawn(ex, flush(), asio::detached); });
}

asio::awaitable<void> market_service::wait(std::shared_ptr<ticket> t) {
    auto op = asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [this, t](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            auto ex = asio::get_associated_executor(*h);
            auto fire = [h, ex](std::exception_ptr e) { asio::post(ex, [h, e]() mutable { std::move(*h)(e); }); };
            std::lock_guard lk(mutex_);
            if (t->done) fire(t->error);
            else t->waiters.push_back(std::move(fire));
        },
        asio::use_awaitable);
    co_await std::move(op);
}

void market_service::complete(const std::shared_ptr<ticket>& t, std::exception_ptr error) {
    if (!t) return;
    std::vector<std::function<void(std::exception_ptr)>> waiters;
    {
        std::lock_guard lk(mutex_);
        t->done = true;
        t->error = error;
        waiters.swap(t->waiters);
    }
    for (auto& w : waiters) w(error);
}

asio::awaitable<void> market_service::flush() {
    for (;;) {
        market_batch batch;
        std::shared_ptr<ticket> t;
        std::vector<event_out> evs;
        std::set<std::string> touched;
        std::optional<settlement> settled_copy;
        std::vector<queued_reading> readings;
        bool poll = false, enforce = false, book_changed = false;
        std::int64_t head = 0, version = 0;
        {
            std::lock_guard lk(mutex_);
            auto& st = *st_;
            if (!st.ready) {  // rebuilt by whoever failed; nothing to flush until then
                st.flushing = false;
                co_return;
            }
            if (st.pending.empty() && !st.pending_ticket && !st.poll_external && !st.enforce_due &&
                st.pending_events.empty() && st.resync_to <= st.version) {
                st.flushing = false;
                co_return;
            }
            batch = std::move(st.pending);
            st.pending = {};
            st.pending_index.clear();
            batch.version = version = st.version;
            readings = std::move(st.pending_readings);
            st.pending_readings.clear();
            if (std::exchange(st.settle_dirty, false) && settlement_) settled_copy = settlement_;
            t = std::move(st.pending_ticket);
            evs = std::move(st.pending_events);
            st.pending_events.clear();
            touched = std::move(st.touched_holders);
            st.touched_holders.clear();
            poll = std::exchange(st.poll_external, false);
            enforce = std::exchange(st.enforce_due, false);
            book_changed = std::exchange(st.book_changed, false);
            head = st.known_head;
        }
        std::exception_ptr error;
        bool conflict = false;
        std::pair<std::int64_t, std::int64_t> own{0, 0};
        try {
            if (!batch.empty()) {
                bool has_entries = !batch.entries.empty();
                auto trades = batch.trades.size();
                auto op = store_.commit(std::move(batch));
                auto ids = co_await std::move(op);
                if (has_entries) own = ids;
                std::lock_guard lk(mutex_);
                st_->version = version + 1;
                counts_.trades += trades;
                if (settled_copy) settlement_committed_ = std::move(settled_copy);
            }
        } catch (const market_conflict&) {
            conflict = true;
        } catch (...) {
            error = std::current_exception();
        }
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                spdlog::error("market: a commit failed ({}); rebuilding the market from the database", e.what());
            }
            std::shared_ptr<ticket> later;
            {
                std::lock_guard lk(mutex_);
                st_->ready = false;
                later = std::move(st_->pending_ticket);
                st_->pending = {};
                st_->pending_index.clear();
                st_->pending_events.clear();
                for (auto& q : st_->pending_readings) readings.push_back(std::move(q));
                st_->pending_readings.clear();
            }
            auto unavailable = std::make_exception_ptr(
                storage_unavailable("the market could not store this change; nothing of it was kept"));
            complete(t, unavailable);
            complete(later, unavailable);
            auto rebuilt = rebuild_until_done(&readings);
            auto leftover = co_await std::move(rebuilt);
            spdlog::info("market: rebuilt from the database");
            complete(leftover, unavailable);
            {
                std::lock_guard lk(mutex_);
                replay_locked(readings);  // the readings are stored; their settlement follows
            }
            continue;
        }
        // Another instance changed the market: after a conflict (nothing of
        // the batch was stored), or when sync() saw a newer version than this
        // state's. What is queued was computed from the old state: its
        // requests run again on the rebuilt one.
        bool stale = conflict;
        if (!stale) {
            std::lock_guard lk(mutex_);
            stale = st_->resync_to > st_->version;
        }
        if (stale) {
            spdlog::debug("market: another instance changed the market; reloading it from the database");
            std::shared_ptr<ticket> later;
            if (!conflict) readings.clear();  // stored with the batch
            {
                std::lock_guard lk(mutex_);
                later = std::move(st_->pending_ticket);
                st_->pending = {};
                st_->pending_index.clear();
                st_->pending_events.clear();
                st_->touched_holders.clear();
                for (auto& q : st_->pending_readings) readings.push_back(std::move(q));
                st_->pending_readings.clear();
            }
            auto rebuilt = rebuild_until_done(&readings);
            auto leftover = co_await std::move(rebuilt);
            {
                std::lock_guard lk(mutex_);
                replay_locked(readings);
            }
            auto again = std::make_exception_ptr(market_conflict());
            complete(t, conflict ? again : nullptr);
            complete(later, again);
            complete(leftover, again);
            if (conflict) continue;
        } else {
            complete(t, nullptr);
        }
        for (auto& e : evs) events_.publish_to(e.rooms, e.name, e.payload);
        if (own.first != 0 && !stale) {
            // Someone else appended between our previous entry and this
            // batch's first: pick theirs up before moving past them.
            if (own.first > head + 1) co_await pick_up_external(own.first);
            std::lock_guard lk(mutex_);
            st_->known_head = std::max(st_->known_head, own.second);
        }
        if (poll && !stale) co_await pick_up_external(0);
        publish_accounts(touched);
        if (book_changed) schedule_market_update();
        if (enforce || !evs.empty() || !touched.empty()) co_await enforce_relays();
    }
}

asio::awaitable<std::shared_ptr<market_service::ticket>> market_service::rebuild_until_done(
    std::vector<queued_reading>* unsettled) {
    asio::any_io_executor ex;
    {
        std::lock_guard lk(mutex_);
        ex = st_->ex;
    }
    asio::steady_timer timer(ex);
    for (;;) {
        try {
            auto op = rebuild(unsettled);
            auto leftover = co_await std::move(op);
            spdlog::debug("market: rebuilt from the database");
            co_return leftover;
        } catch (const std::exception& e) {
            spdlog::warn("market: cannot load from the database yet ({}); retrying in 1 s", e.what());
        }
        timer.expires_after(std::chrono::seconds(1));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// Entries another process appended (`solgrid ledger adjust`): apply their
// holder postings to the balances. Runs in the flush loop, so no commit of
// ours is in flight: every entry after known_head (and before `before`, our
// own batch's first entry, when not 0) is someone else's.
asio::awaitable<void> market_service::pick_up_external(std::int64_t before) {
    for (;;) {
        std::int64_t head = 0;
        {
            std::lock_guard lk(mutex_);
            head = st_->known_head;
        }
        std::vector<ledger_entry> entries;
        try {
            auto op = ledger_.entries_after(head, 1000);
            entries = co_await std::move(op);
        } catch (const std::exception& e) {
            spdlog::warn("market: cannot read new ledger entries ({}); trying again later", e.what());
            std::lock_guard lk(mutex_);
            st_->poll_external = true;
            co_return;
        }
        if (entries.empty()) co_return;
        std::lock_guard lk(mutex_);
        auto& st = *st_;
        bool reached = false;
        for (const auto& e : entries) {
            if (before != 0 && e.id >= before) {
                reached = true;
                break;
            }
            if (e.id <= st.known_head) continue;
            if (e.kind != entry_kind::adjustment) {
                // A trade or settlement: another instance's market commit.
                // Not applied piecemeal: the state is stale, rebuild it.
                st.resync_to = std::max(st.resync_to, st.version + 1);
                reached = true;
                break;
            }
            st.known_head = e.id;
            for (const auto& p : e.postings) {
                if (!is_holder_account(p.account)) continue;
                auto& h = st.holders[p.account];
                h.energy += p.energy_wh;
                h.money += p.money;
                st.touched_holders.insert(p.account);
            }
            spdlog::info("market: picked up ledger entry {} ({}: {})", e.id, to_string(e.kind), e.reference);
        }
        auto now = clock::now();
        release_overcommitted_locked(now);
        if (!st.pending.empty()) enqueue_locked();
        else start_flush_locked();
        if (reached || entries.size() < 1000) co_return;
    }
}

}  // namespace solgrid::domain::market
