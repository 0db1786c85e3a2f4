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

#include <algorithm>

namespace solgrid::domain::market {

using namespace detail;

market_service::market_service(market_store& store, ledger_store& ledger, notifier& events, market_settings s)
    : store_(store), ledger_(ledger), events_(events), s_(std::move(s)), st_(std::make_unique<state>(s_)) {}

market_service::~market_service() = default;

void market_service::set_relays(relay_hooks h) { relays_ = std::move(h); }
void market_service::set_settlement(settle_fn f) { settle_ = std::move(f); }
void market_service::set_settlement(settlement_config c) {
    std::lock_guard lk(mutex_);
    settlement_.emplace(c);
    settlement_committed_ = settlement_;
}

asio::awaitable<void> market_service::warm_up() {
    auto ex = co_await asio::this_coro::executor;
    {
        std::lock_guard lk(mutex_);
        st_->ex = ex;
    }
    auto op = rebuild();
    co_await std::move(op);
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

market_service::activity market_service::stats() const {
    std::lock_guard lk(mutex_);
    auto a = counts_;
    a.open_orders = st_->open.size();
    return a;
}

// The settlement's part of a reading. A reading not newer than the newest
// one settled (by any instance) is not settled again: its interval is inside
// one already settled. Otherwise it is settled from that newest one — this
// instance's own previous reading, or another instance's.
void market_service::settle_locked(time_point at, const reading& r,
                                   const std::array<std::optional<double>, 4>& meter_wh, const relay_state& relays) {
    auto& st = *st_;
    if (!settle_ && !settlement_) return;
    if (st.settled && to_ms(at) <= to_ms(st.settled->at)) return;
    st.pending_readings.push_back({at, r, meter_wh, relays});
    std::vector<ledger_draft> drafts;
    if (settlement_) {
        if (st.settled && settlement_->baseline_ms() != to_ms(st.settled->at))
            settlement_->rebase({st.settled->at, st.settled->value, st.settled->meter_wh, relays});
        drafts = settlement_->on_reading({at, r, meter_wh, relays});
        st.settle_dirty = true;
    } else {
        drafts = settle_(at, r, meter_wh, relays);
    }
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
    st.settled = settle_point{at, r, meter_wh};
    st.pending.settled = st.settled;
}

// Readings whose settlement was not stored (a conflict or a failed commit),
// settled again on the rebuilt state, oldest first.
void market_service::replay_locked(std::vector<queued_reading>& readings) {
    if (readings.empty()) return;
    std::stable_sort(readings.begin(), readings.end(),
                     [](const queued_reading& a, const queued_reading& b) { return a.at < b.at; });
    for (const auto& q : readings) settle_locked(q.at, q.value, q.meter_wh, q.relays);
    readings.clear();
    release_overcommitted_locked(clock::now());
    st_->enforce_due = true;
    if (!st_->pending.empty()) enqueue_locked();
}

void market_service::on_reading(time_point at, const reading& r, const std::array<std::optional<double>, 4>& meter_wh) {
    std::lock_guard lk(mutex_);
    auto& st = *st_;
    int before = st.soc;
    st.soc = r.soc;
    if (!st.ready) return;  // rebuilding: this interval is settled by the next reading
    auto now = clock::now();
    settle_locked(at, r, meter_wh, relays_.current ? relays_.current() : relay_state{});
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
    {
        auto op = sync();
        co_await std::move(op);
    }
    std::lock_guard lk(mutex_);
    if (!st_->ready) co_return;
    expire_locked(clock::now());
    st_->poll_external = true;
    if (!st_->pending.empty()) enqueue_locked();
    else start_flush_locked();
}

}  // namespace solgrid::domain::market
