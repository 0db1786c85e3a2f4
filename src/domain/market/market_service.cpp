#include "domain/market/market_service.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <set>
#include <unordered_map>

namespace solgrid::domain::market {

namespace {

std::int64_t to_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The money a buy order's remaining energy may cost at its limit price,
// rounded up (a trade rounds half up, so each trade's amount is covered up
// to half a minor unit per trade: docs/market.md).
std::int64_t buy_reserve(std::int64_t remaining_wh, std::int64_t price) {
    __int128 v = static_cast<__int128>(remaining_wh) * price;
    return static_cast<std::int64_t>((v + 999) / 1000);
}

const std::array<std::string, 5> holders{"A", "B", "C", "D", "pool"};

}  // namespace

struct market_service::ticket {
    bool done = false;
    std::exception_ptr error;
    std::vector<std::function<void(std::exception_ptr)>> waiters;
};

struct event_out {
    std::vector<std::string> rooms;  // empty: everyone
    std::string name;
    boost::json::value payload;
};

struct market_service::state {
    struct held {
        order_record rec;
        std::int64_t reserve_money = 0;  // buy orders: money held for the remaining energy
    };
    struct holder {
        std::int64_t energy = 0, money = 0, reserved_energy = 0, reserved_money = 0;
    };

    explicit state(const market_settings& s) : book(s.price_floor, s.price_ceiling, 4096) {}

    order_book book;
    std::map<std::int64_t, held> open;
    std::map<std::string, holder> holders;
    std::int64_t next_order = 1, next_trade = 1, known_head = 0;
    std::optional<std::int64_t> last_price;
    std::optional<std::int64_t> pool_order;  // the pool's standing sell order
    int soc = -1;                            // newest reading's SoC, -1 before the first
    bool ready = false;                      // loaded and consistent with the store
    bool flushing = false, poll_external = false, enforce_due = false;
    bool book_changed = false;
    bool switching = false;                  // a relay switch-off is on its way
    // What the next commit stores, and who waits for it.
    market_batch pending;
    std::unordered_map<std::int64_t, std::pair<bool, std::size_t>> pending_index;  // id -> (new?, index)
    std::shared_ptr<ticket> pending_ticket;
    std::vector<event_out> pending_events;
    std::set<std::string> touched_holders;
    boost::asio::any_io_executor ex;
    fills f;
    std::vector<order_id> scratch_ids;
    // market_update coalescing
    std::chrono::steady_clock::time_point last_update{};
    bool update_scheduled = false;
};

market_service::market_service(market_store& store, ledger_store& ledger, notifier& events, market_settings s)
    : store_(store), ledger_(ledger), events_(events), s_(std::move(s)), st_(std::make_unique<state>(s_)) {}

market_service::~market_service() = default;

void market_service::set_relays(relay_hooks h) { relays_ = std::move(h); }
void market_service::set_settlement(settle_fn f) { settle_ = std::move(f); }

asio::awaitable<void> market_service::warm_up() {
    auto ex = co_await asio::this_coro::executor;
    {
        std::lock_guard lk(mutex_);
        st_->ex = ex;
    }
    co_await rebuild();
}

// ---- rebuilding from the store -------------------------------------------

asio::awaitable<void> market_service::rebuild() {
    auto op = store_.load();
    market_snapshot snap = co_await std::move(op);
    std::lock_guard lk(mutex_);
    auto fresh = std::make_unique<state>(s_);
    fresh->ex = st_->ex;
    fresh->soc = st_->soc;
    fresh->flushing = st_->flushing;
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
    st_ = std::move(fresh);
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
        bool poll = false, enforce = false, book_changed = false;
        std::int64_t head = 0;
        {
            std::lock_guard lk(mutex_);
            auto& st = *st_;
            if (!st.ready) {  // rebuilt by whoever failed; nothing to flush until then
                st.flushing = false;
                co_return;
            }
            if (st.pending.empty() && !st.pending_ticket && !st.poll_external && !st.enforce_due &&
                st.pending_events.empty()) {
                st.flushing = false;
                co_return;
            }
            batch = std::move(st.pending);
            st.pending = {};
            st.pending_index.clear();
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
        std::pair<std::int64_t, std::int64_t> own{0, 0};
        try {
            if (!batch.empty()) {
                bool has_entries = !batch.entries.empty();
                auto op = store_.commit(std::move(batch));
                auto ids = co_await std::move(op);
                if (has_entries) own = ids;
            }
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
            }
            auto unavailable = std::make_exception_ptr(
                storage_unavailable("the market could not store this change; nothing of it was kept"));
            complete(t, unavailable);
            complete(later, unavailable);
            co_await rebuild_until_done();
            continue;
        }
        complete(t, nullptr);
        for (auto& e : evs) events_.publish_to(e.rooms, e.name, e.payload);
        if (own.first != 0) {
            // Someone else appended between our previous entry and this
            // batch's first: pick theirs up before moving past them.
            if (own.first > head + 1) co_await pick_up_external(own.first);
            std::lock_guard lk(mutex_);
            st_->known_head = std::max(st_->known_head, own.second);
        }
        if (poll) co_await pick_up_external(0);
        publish_accounts(touched);
        if (book_changed) schedule_market_update();
        if (enforce || !evs.empty() || !touched.empty()) co_await enforce_relays();
    }
}

asio::awaitable<void> market_service::rebuild_until_done() {
    asio::any_io_executor ex;
    {
        std::lock_guard lk(mutex_);
        ex = st_->ex;
    }
    asio::steady_timer timer(ex);
    for (;;) {
        try {
            co_await rebuild();
            spdlog::info("market: rebuilt from the database");
            co_return;
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

// ---- events ----------------------------------------------------------------

std::vector<std::string> market_service::rooms_for(const std::string& holder) const {
    if (!s_.private_rooms) return {};
    std::vector<std::string> r{"role:admin", "role:operator"};
    if (holder != "pool") r.push_back("household:" + holder);
    return r;
}

void market_service::publish_accounts(const std::set<std::string>& touched) {
    if (touched.empty()) return;
    std::vector<std::pair<std::string, boost::json::object>> out;
    {
        std::lock_guard lk(mutex_);
        for (const auto& h : touched) {
            auto payload = to_json(view_locked(h));
            payload["household"] = h;
            out.emplace_back(h, std::move(payload));
        }
    }
    for (auto& [h, p] : out) events_.publish_to(rooms_for(h), "account_update", p);
}

void market_service::schedule_market_update() {
    std::lock_guard lk(mutex_);
    auto& st = *st_;
    if (st.update_scheduled) return;
    auto now = std::chrono::steady_clock::now();
    auto due = st.last_update + s_.update_interval;
    if (now >= due) {
        st.last_update = now;
        events_.publish_to({}, "market_update", book_json_locked(10));
        return;
    }
    st.update_scheduled = true;
    auto timer = std::make_shared<asio::steady_timer>(st.ex, due - now);
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
        if (ec) return;
        std::lock_guard lk(mutex_);
        st_->update_scheduled = false;
        st_->last_update = std::chrono::steady_clock::now();
        events_.publish_to({}, "market_update", book_json_locked(10));
    });
}

// ---- relays ----------------------------------------------------------------

std::optional<std::string> market_service::block_locked(std::size_t i) const {
    if (!s_.enforce || i >= 4) return std::nullopt;
    if (st_->soc >= 0 && st_->soc <= s_.soc_floor) return std::string("soc_floor");
    if (s_.exempt[i]) return std::nullopt;
    auto it = st_->holders.find(std::string(1, household_names[i]));
    std::int64_t energy = it == st_->holders.end() ? 0 : it->second.energy;
    if (energy <= 0) return std::string("energy_balance");
    return std::nullopt;
}

std::optional<std::string> market_service::relay_block(std::size_t household) const {
    std::lock_guard lk(mutex_);
    return block_locked(household);
}

asio::awaitable<void> market_service::enforce_relays() {
    if (!s_.enforce || !relays_.current || !relays_.switch_off) co_return;
    relay_patch patch;
    std::string reason;
    {
        std::lock_guard lk(mutex_);
        if (st_->switching) co_return;
        auto now = relays_.current();
        for (std::size_t i = 0; i < 4; ++i) {
            if (!now.on[i]) continue;
            auto why = block_locked(i);
            if (!why) continue;
            patch.on[i] = false;
            if (!reason.empty()) reason += "; ";
            reason += std::string("market: ") + household_names[i] +
                      (*why == "soc_floor" ? " off, SoC " + std::to_string(st_->soc) + "% at or below SOC_FLOOR " +
                                                 std::to_string(s_.soc_floor) + "%"
                                           : " off, energy balance " +
                                                 std::to_string(st_->holders[std::string(1, household_names[i])].energy) +
                                                 " Wh");
        }
        if (patch.empty()) co_return;
        st_->switching = true;
    }
    spdlog::info("{}", reason);
    try {
        auto op = relays_.switch_off(patch, reason);
        co_await std::move(op);
    } catch (const std::exception& e) {
        spdlog::warn("market: could not switch relays off ({}); trying again with the next change", e.what());
        std::lock_guard lk(mutex_);
        st_->enforce_due = true;
    }
    std::lock_guard lk(mutex_);
    st_->switching = false;
}

// ---- changes in memory -----------------------------------------------------

void market_service::touch_locked(const order_record& rec) {
    auto& st = *st_;
    auto it = st.pending_index.find(rec.id);
    if (it != st.pending_index.end()) {
        auto& v = it->second.first ? st.pending.new_orders : st.pending.changed_orders;
        v[it->second.second] = rec;
    } else {
        st.pending_index.emplace(rec.id, std::make_pair(false, st.pending.changed_orders.size()));
        st.pending.changed_orders.push_back(rec);
    }
    st.pending_events.push_back({rooms_for(rec.household), "order_update", to_json(rec)});
    st.touched_holders.insert(rec.household);
}

// Takes an open order out (already out of the book) and releases what it held.
void market_service::end_order_locked(std::int64_t id, record_status status, end_reason why, time_point now) {
    auto& st = *st_;
    auto it = st.open.find(id);
    if (it == st.open.end()) return;
    auto& held = it->second;
    auto& h = st.holders[held.rec.household];
    if (held.rec.side == side::sell) h.reserved_energy -= held.rec.energy_wh - held.rec.filled_wh;
    else h.reserved_money -= held.reserve_money;
    held.rec.status = status;
    held.rec.reason = why;
    held.rec.updated_at = now;
    touch_locked(held.rec);
    if (st.pool_order == id) st.pool_order.reset();
    st.open.erase(it);
    st.book_changed = true;
}

void market_service::apply_trade_locked(const trade& t, std::int64_t incoming, time_point now,
                                        std::vector<trade_record>* out) {
    auto& st = *st_;
    trade_record r;
    r.id = st.next_trade++;
    r.buyer = holder_name(t.buyer);
    r.seller = holder_name(t.seller);
    r.energy_wh = t.energy_wh;
    r.price = t.price;
    r.amount = t.amount;
    r.buy_order_id = static_cast<std::int64_t>(t.buy_order);
    r.sell_order_id = static_cast<std::int64_t>(t.sell_order);
    r.at = now;
    auto& buyer = st.holders[r.buyer];
    auto& seller = st.holders[r.seller];
    buyer.energy += r.energy_wh;
    buyer.money -= r.amount;
    seller.energy -= r.energy_wh;
    seller.money += r.amount;
    // The resting order (the incoming one is settled by the caller).
    std::int64_t resting = r.buy_order_id == incoming ? r.sell_order_id : r.buy_order_id;
    if (auto it = st.open.find(resting); it != st.open.end()) {
        auto& held = it->second;
        held.rec.filled_wh += r.energy_wh;
        held.rec.updated_at = now;
        std::int64_t remaining = held.rec.energy_wh - held.rec.filled_wh;
        auto& h = st.holders[held.rec.household];
        if (held.rec.side == side::sell) h.reserved_energy -= r.energy_wh;
        else {
            std::int64_t reserve = buy_reserve(remaining, held.rec.price);
            h.reserved_money -= held.reserve_money - reserve;
            held.reserve_money = reserve;
        }
        if (remaining == 0) {
            held.rec.status = record_status::filled;
            touch_locked(held.rec);
            if (st.pool_order == resting) st.pool_order.reset();
            st.open.erase(it);
        } else {
            touch_locked(held.rec);
        }
    }
    ledger_draft d;
    d.kind = entry_kind::trade;
    d.at = now;
    d.reference = "trade " + std::to_string(r.id);
    d.postings.push_back({r.seller, -r.energy_wh, r.amount});
    d.postings.push_back({r.buyer, r.energy_wh, -r.amount});
    st.pending.entries.push_back(std::move(d));
    st.pending.trades.push_back(r);
    st.last_price = r.price;
    st.book_changed = true;
    st.touched_holders.insert(r.buyer);
    st.touched_holders.insert(r.seller);
    st.pending_events.push_back({{}, "trade_executed",
                                 boost::json::object{{"id", r.id},
                                                     {"buyer", r.buyer},
                                                     {"seller", r.seller},
                                                     {"energy_wh", r.energy_wh},
                                                     {"price", r.price},
                                                     {"at", to_iso8601(r.at)}}});
    if (out) out->push_back(std::move(r));
}

void market_service::expire_locked(time_point now) {
    auto& st = *st_;
    st.scratch_ids.clear();
    if (st.book.expire_before(to_ms(now), st.scratch_ids) == 0) return;
    for (auto id : st.scratch_ids)
        end_order_locked(static_cast<std::int64_t>(id), record_status::expired, end_reason::expired, now);
}

place_outcome market_service::insert_locked(const order_request& r, time_point now) {
    auto& st = *st_;
    place_outcome out;
    auto refuse = [&](refusal::code c, std::string field, std::string message) {
        out.refused = refusal{c, std::move(field), std::move(message)};
        return out;
    };
    auto acct = account_from(r.household);
    if (!acct) return refuse(refusal::code::bad_field, "household", "household must be one of A, B, C, D or pool");
    if (r.energy_wh <= 0 || r.energy_wh > max_energy_wh)
        return refuse(refusal::code::bad_field, "energy_wh", "energy_wh must be a whole number of Wh from 1 to " +
                                                                  std::to_string(max_energy_wh));
    if (r.price < s_.price_floor || r.price > s_.price_ceiling)
        return refuse(refusal::code::bad_field, "price",
                      "price must be a whole number from " + std::to_string(s_.price_floor) + " to " +
                          std::to_string(s_.price_ceiling) + " " + s_.currency + " per kWh");
    if (r.expires_at && *r.expires_at <= now)
        return refuse(refusal::code::bad_field, "expires_at", "expires_at must be in the future");
    auto& h = st.holders[r.household];
    std::int64_t reserve = 0;
    if (r.side == side::sell) {
        std::int64_t free = h.energy - h.reserved_energy;
        if (r.energy_wh > free)
            return refuse(refusal::code::insufficient_energy, "energy_wh",
                          "insufficient energy: " + r.household + " has " + std::to_string(std::max<std::int64_t>(free, 0)) +
                              " Wh free to sell (balance minus open sell orders)");
    } else {
        reserve = buy_reserve(r.energy_wh, r.price);
        std::int64_t free = h.money + s_.credit_limit - h.reserved_money;
        if (reserve > free)
            return refuse(refusal::code::insufficient_money, "price",
                          "insufficient money: this order may cost up to " + std::to_string(reserve) + " " +
                              s_.currency + " and " + r.household + " has " +
                              std::to_string(std::max<std::int64_t>(free, 0)) + " free");
    }
    order_record rec;
    rec.id = st.next_order++;
    rec.household = r.household;
    rec.side = r.side;
    rec.energy_wh = r.energy_wh;
    rec.price = r.price;
    rec.tif = r.tif;
    rec.expires_at = r.expires_at;
    rec.created_at = rec.updated_at = now;
    order o{static_cast<order_id>(rec.id), *acct, r.side, r.energy_wh, r.price, r.tif,
            r.expires_at ? std::optional<std::int64_t>(to_ms(*r.expires_at)) : std::nullopt};
    // The new order is stored before any change it causes to resting orders.
    st.pending_index.emplace(rec.id, std::make_pair(true, st.pending.new_orders.size()));
    st.pending.new_orders.push_back(rec);
    auto res = st.book.insert(o, st.f);
    if (res.reject != reject_reason::none) {  // checked above; kept as a guard
        st.pending.new_orders.pop_back();
        st.pending_index.erase(rec.id);
        return refuse(refusal::code::bad_field, "order", to_string(res.reject));
    }
    for (auto id : st.f.self_trade_cancelled)
        end_order_locked(static_cast<std::int64_t>(id), record_status::cancelled, end_reason::self_trade, now);
    for (const auto& t : st.f.trades) apply_trade_locked(t, rec.id, now, &out.trades);
    rec.filled_wh = res.filled_wh;
    std::int64_t remaining = rec.energy_wh - rec.filled_wh;
    if (res.status == order_status::filled) {
        rec.status = record_status::filled;
    } else if (res.status == order_status::cancelled) {
        rec.status = record_status::cancelled;
        rec.reason = end_reason::ioc;
    } else {
        rec.status = record_status::open;
        state::held held{rec, 0};
        if (rec.side == side::sell) h.reserved_energy += remaining;
        else {
            held.reserve_money = buy_reserve(remaining, rec.price);
            h.reserved_money += held.reserve_money;
        }
        st.open.emplace(rec.id, std::move(held));
        st.book_changed = true;
    }
    st.pending.new_orders[st.pending_index[rec.id].second] = rec;
    st.pending_events.push_back({rooms_for(rec.household), "order_update", to_json(rec)});
    st.touched_holders.insert(rec.household);
    out.order = rec;
    return out;
}

// Cancels a holder's newest sell orders while it has sold more than it holds
// (consumption or an adjustment took energy its open sells had promised).
void market_service::release_overcommitted_locked(time_point now) {
    auto& st = *st_;
    for (auto& [name, h] : st.holders) {
        if (h.energy - h.reserved_energy >= 0) continue;
        std::vector<std::int64_t> sells;  // newest first
        for (auto it = st.open.rbegin(); it != st.open.rend(); ++it)
            if (it->second.rec.household == name && it->second.rec.side == side::sell) sells.push_back(it->first);
        for (auto id : sells) {
            if (h.energy - h.reserved_energy >= 0) break;
            st.book.cancel(static_cast<order_id>(id));
            end_order_locked(id, record_status::cancelled, end_reason::insufficient_energy, now);
        }
    }
}

// The pool's standing sell order: all its free energy at a price that falls
// as SoC rises. Re-placed (losing time priority) only when it would change.
void market_service::refresh_pool_locked(time_point now) {
    auto& st = *st_;
    if (!s_.pool_prices || st.soc < 0) return;
    auto [at_empty, at_full] = *s_.pool_prices;
    std::int64_t price = at_empty + ((at_full - at_empty) * st.soc + (at_full >= at_empty ? 50 : -50)) / 100;
    price = std::clamp(price, s_.price_floor, s_.price_ceiling);
    auto& pool = st.holders["pool"];
    std::int64_t standing = 0;
    if (st.pool_order) {
        const auto& rec = st.open.at(*st.pool_order).rec;
        standing = rec.energy_wh - rec.filled_wh;
    }
    std::int64_t target = pool.energy - (pool.reserved_energy - standing);
    if (st.pool_order) {
        const auto& rec = st.open.at(*st.pool_order).rec;
        if (rec.price == price && standing == target) return;
        auto id = *st.pool_order;
        st.book.cancel(static_cast<order_id>(id));
        end_order_locked(id, record_status::cancelled, end_reason::repriced, now);
    }
    if (target <= 0) return;
    order_request r{"pool", side::sell, target, price, time_in_force::gtc, std::nullopt};
    auto out = insert_locked(r, now);
    if (!out.refused && out.order.status == record_status::open) st.pool_order = out.order.id;
}

// ---- use-cases -------------------------------------------------------------

// The start of every request: refused while the market rebuilds; due orders
// expire first so that none of them trades. Returns the request's time.
time_point market_service::begin_locked() {
    if (!st_->ready) throw storage_unavailable("the market is reloading its state from the database; try again");
    auto now = clock::now();
    expire_locked(now);
    return now;
}

asio::awaitable<place_outcome> market_service::place(order_request r) {
    place_outcome out;
    std::shared_ptr<ticket> t;
    {
        std::lock_guard lk(mutex_);
        auto now = begin_locked();
        out = insert_locked(r, now);
        if (out.refused) {
            if (!st_->pending.empty()) enqueue_locked();  // expiries
            co_return out;
        }
        t = enqueue_locked();
    }
    co_await wait(std::move(t));
    co_return out;
}

asio::awaitable<cancel_outcome> market_service::cancel(std::int64_t id, std::optional<std::string> household) {
    cancel_outcome out;
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
    if (t) {
        co_await wait(std::move(t));
        co_return out;
    }
    // Not open: unknown (404), someone else's (404: not revealed), or no
    // longer open (409, with its state).
    auto op = store_.order(id);
    auto stored = co_await std::move(op);
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

void market_service::on_reading(time_point at, const reading& r, const std::array<std::optional<double>, 4>& meter_wh) {
    std::lock_guard lk(mutex_);
    auto& st = *st_;
    int before = st.soc;
    st.soc = r.soc;
    if (!st.ready) return;  // rebuilding: this interval is not settled
    auto now = clock::now();
    if (settle_) {
        relay_state relays = relays_.current ? relays_.current() : relay_state{};
        auto drafts = settle_(at, r, meter_wh, relays);
        for (auto& d : drafts) {
            for (const auto& p : d.postings) {
                if (!is_holder_account(p.account)) continue;
                auto& h = st.holders[p.account];
                h.energy += p.energy_wh;
                h.money += p.money;
                st.touched_holders.insert(p.account);
            }
            st.pending.entries.push_back(std::move(d));
        }
    }
    expire_locked(now);
    release_overcommitted_locked(now);
    refresh_pool_locked(now);
    bool floor_crossed = s_.enforce && before != r.soc && (r.soc <= s_.soc_floor) != (before >= 0 && before <= s_.soc_floor);
    if (floor_crossed) {
        // Every household's relay_blocked changed.
        for (std::size_t i = 0; i < 4; ++i) st.touched_holders.insert(std::string(1, household_names[i]));
    }
    st.enforce_due = true;
    if (!st.pending.empty()) enqueue_locked();
    else start_flush_locked();
}

asio::awaitable<void> market_service::tick() {
    std::lock_guard lk(mutex_);
    if (!st_->ready) co_return;
    expire_locked(clock::now());
    st_->poll_external = true;
    if (!st_->pending.empty()) enqueue_locked();
    else start_flush_locked();
    co_return;
}

// ---- reads -----------------------------------------------------------------

account_view market_service::view_locked(const std::string& holder) const {
    account_view v;
    v.holder = holder;
    if (auto it = st_->holders.find(holder); it != st_->holders.end()) {
        v.energy_wh = it->second.energy;
        v.money = it->second.money;
        v.reserved_energy_wh = it->second.reserved_energy;
        v.reserved_money = it->second.reserved_money;
    }
    if (holder.size() == 1) {
        std::size_t i = static_cast<std::size_t>(holder[0] - 'A');
        v.relay_blocked = block_locked(i);
        v.exempt = i < 4 && s_.exempt[i];
    }
    v.credit_limit = s_.credit_limit;
    return v;
}

std::vector<account_view> market_service::accounts() const {
    std::lock_guard lk(mutex_);
    std::vector<account_view> out;
    for (const auto& h : holders) out.push_back(view_locked(h));
    return out;
}

std::optional<std::int64_t> market_service::last_price() const {
    std::lock_guard lk(mutex_);
    return st_->last_price;
}

boost::json::object market_service::book_json_locked(std::size_t levels) const {
    auto side_json = [](const std::vector<level>& ls) {
        boost::json::array a;
        for (const auto& l : ls) a.push_back(boost::json::object{{"price", l.price}, {"energy_wh", l.energy_wh},
                                                                 {"orders", l.orders}});
        return a;
    };
    boost::json::object out;
    out["book"] = boost::json::object{{"bids", side_json(st_->book.bids(levels))},
                                      {"asks", side_json(st_->book.asks(levels))}};
    if (st_->last_price) out["last_price"] = *st_->last_price;
    else out["last_price"] = nullptr;
    return out;
}

boost::json::object market_service::book_json(std::size_t levels) const {
    std::lock_guard lk(mutex_);
    return book_json_locked(levels);
}

boost::json::object market_service::market_json() const {
    std::lock_guard lk(mutex_);
    auto out = book_json_locked(s_.book_levels);
    out["currency"] = s_.currency;
    out["price_floor"] = s_.price_floor;
    out["price_ceiling"] = s_.price_ceiling;
    boost::json::object shares;
    for (const auto& h : holders) {
        auto it = s_.shares.find(h);
        shares[h] = it == s_.shares.end() ? 0 : it->second;
    }
    out["shares"] = std::move(shares);
    out["credit_limit"] = s_.credit_limit;
    out["enforce"] = s_.enforce;
    out["soc_floor"] = s_.soc_floor;
    if (s_.pool_prices)
        out["pool_prices"] = boost::json::object{{"at_empty", s_.pool_prices->first}, {"at_full", s_.pool_prices->second}};
    return out;
}

boost::json::object market_service::to_json(const order_record& o) {
    boost::json::object j{{"id", o.id},
                          {"household", o.household},
                          {"side", to_string(o.side)},
                          {"energy_wh", o.energy_wh},
                          {"filled_wh", o.filled_wh},
                          {"price", o.price},
                          {"tif", to_string(o.tif)},
                          {"status", to_string(o.status)}};
    if (o.reason == end_reason::none) j["reason"] = nullptr;
    else j["reason"] = to_string(o.reason);
    if (o.expires_at) j["expires_at"] = to_iso8601(*o.expires_at);
    else j["expires_at"] = nullptr;
    j["created_at"] = to_iso8601(o.created_at);
    j["updated_at"] = to_iso8601(o.updated_at);
    return j;
}

boost::json::object market_service::to_json(const trade_record& t) {
    return {{"id", t.id},
            {"buyer", t.buyer},
            {"seller", t.seller},
            {"energy_wh", t.energy_wh},
            {"price", t.price},
            {"amount", t.amount},
            {"buy_order_id", t.buy_order_id},
            {"sell_order_id", t.sell_order_id},
            {"at", to_iso8601(t.at)}};
}

boost::json::object market_service::to_json(const account_view& a) {
    boost::json::object j{{"energy_wh", a.energy_wh},
                          {"money", a.money},
                          {"free_energy_wh", a.free_energy_wh()},
                          {"free_money", a.money + a.credit_limit - a.reserved_money},
                          {"reserved_energy_wh", a.reserved_energy_wh},
                          {"reserved_money", a.reserved_money},
                          {"exempt", a.exempt}};
    if (a.relay_blocked) j["relay_blocked"] = *a.relay_blocked;
    else j["relay_blocked"] = nullptr;
    return j;
}

}  // namespace solgrid::domain::market
