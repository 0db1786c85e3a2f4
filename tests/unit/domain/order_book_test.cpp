#include "domain/market/order_book.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

using namespace solgrid::domain::market;

namespace {

order mk(order_id id, char acct, side s, std::int64_t wh, std::int64_t price,
         time_in_force tif = time_in_force::gtc, std::optional<std::int64_t> exp = std::nullopt) {
    order o;
    o.id = id;
    o.account = acct;
    o.side = s;
    o.energy_wh = wh;
    o.price = price;
    o.tif = tif;
    o.expires_at = exp;
    return o;
}

constexpr side B = side::buy;
constexpr side S = side::sell;

}  // namespace

TEST(OrderBook, RestsWhenNotCrossingAndReportsTop) {
    order_book b(10, 500);
    fills f;
    auto r = b.insert(mk(1, 'A', B, 1000, 100), f);
    EXPECT_EQ(r.status, order_status::open);
    EXPECT_EQ(r.remaining_wh, 1000);
    b.insert(mk(2, 'B', S, 500, 120), f);
    EXPECT_TRUE(f.trades.empty());
    EXPECT_EQ(b.best_bid(), 100);
    EXPECT_EQ(b.best_ask(), 120);
    EXPECT_FALSE(b.last_price());
    EXPECT_EQ(b.open_orders(), 2u);
}

TEST(OrderBook, PriceTimePriorityAndRestingPrice) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', S, 100, 130), f);
    b.insert(mk(2, 'B', S, 100, 120), f);  // better price
    b.insert(mk(3, 'C', S, 100, 120), f);  // same price, later
    auto r = b.insert(mk(4, 'D', B, 250, 140), f);
    ASSERT_EQ(f.trades.size(), 3u);
    EXPECT_EQ(f.trades[0], (trade{'D', 'B', 4, 2, 100, 120, 12}));
    EXPECT_EQ(f.trades[1], (trade{'D', 'C', 4, 3, 100, 120, 12}));
    EXPECT_EQ(f.trades[2], (trade{'D', 'A', 4, 1, 50, 130, 7}));  // 6.5 rounds half up
    EXPECT_EQ(r.status, order_status::filled);
    EXPECT_EQ(r.filled_wh, 250);
    EXPECT_EQ(b.last_price(), 130);
    auto rest = b.find(1);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->remaining_wh, 50);
    EXPECT_EQ(rest->o.energy_wh, 100);
}

TEST(OrderBook, PartialFillOfIncomingRestsRemainder) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', B, 300, 150), f);
    auto r = b.insert(mk(2, 'B', S, 1000, 140), f);
    ASSERT_EQ(f.trades.size(), 1u);
    EXPECT_EQ(f.trades[0].price, 150);  // resting buyer's price
    EXPECT_EQ(f.trades[0].energy_wh, 300);
    EXPECT_EQ(f.trades[0].amount, 45);
    EXPECT_EQ(r.status, order_status::open);
    EXPECT_EQ(r.filled_wh, 300);
    EXPECT_EQ(r.remaining_wh, 700);
    EXPECT_FALSE(b.best_bid());
    EXPECT_EQ(b.best_ask(), 140);
    EXPECT_EQ(b.asks(5), (std::vector<level>{{140, 700, 1}}));
}

TEST(OrderBook, IocRemainderIsCancelled) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', S, 200, 100), f);
    auto r = b.insert(mk(2, 'B', B, 500, 100, time_in_force::ioc), f);
    EXPECT_EQ(r.status, order_status::cancelled);
    EXPECT_EQ(r.filled_wh, 200);
    EXPECT_EQ(r.remaining_wh, 300);
    EXPECT_FALSE(b.find(2));
    EXPECT_FALSE(b.best_bid());
    auto r2 = b.insert(mk(3, 'B', B, 500, 100, time_in_force::ioc), f);
    EXPECT_EQ(r2.status, order_status::cancelled);
    EXPECT_EQ(r2.filled_wh, 0);
    EXPECT_EQ(b.open_orders(), 0u);
}

TEST(OrderBook, SelfTradeCancelsRestingOrderOfSameAccount) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', S, 100, 100), f);
    b.insert(mk(2, 'B', S, 100, 100), f);
    auto r = b.insert(mk(3, 'A', B, 150, 100), f);
    ASSERT_EQ(f.self_trade_cancelled, (std::vector<order_id>{1}));
    ASSERT_EQ(f.trades.size(), 1u);
    EXPECT_EQ(f.trades[0].seller, 'B');
    EXPECT_EQ(r.status, order_status::open);
    EXPECT_EQ(r.remaining_wh, 50);
    EXPECT_FALSE(b.find(1));
    EXPECT_FALSE(b.best_ask());
    EXPECT_EQ(b.best_bid(), 100);
}

TEST(OrderBook, CancelRemovesAndUpdatesBest) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', B, 100, 100), f);
    b.insert(mk(2, 'A', B, 100, 90), f);
    EXPECT_TRUE(b.cancel(1));
    EXPECT_FALSE(b.cancel(1));
    EXPECT_FALSE(b.cancel(42));
    EXPECT_EQ(b.best_bid(), 90);
    b.insert(mk(3, 'B', S, 100, 95), f);  // no longer crosses
    EXPECT_TRUE(f.trades.empty());
    EXPECT_TRUE(b.cancel(2));
    EXPECT_FALSE(b.best_bid());
    // A cancelled id can be reused.
    EXPECT_EQ(b.insert(mk(1, 'C', B, 10, 50), f).status, order_status::open);
}

TEST(OrderBook, RejectsInvalidOrdersWithReason) {
    order_book b(10, 500);
    fills f;
    EXPECT_EQ(b.insert(mk(0, 'A', B, 1, 100), f).reject, reject_reason::invalid_id);
    EXPECT_EQ(b.insert(mk(1, 0, B, 1, 100), f).reject, reject_reason::invalid_account);
    EXPECT_EQ(b.insert(mk(1, 'A', B, 0, 100), f).reject, reject_reason::invalid_energy);
    EXPECT_EQ(b.insert(mk(1, 'A', B, -5, 100), f).reject, reject_reason::invalid_energy);
    EXPECT_EQ(b.insert(mk(1, 'A', B, max_energy_wh + 1, 100), f).reject, reject_reason::invalid_energy);
    EXPECT_EQ(b.insert(mk(1, 'A', B, 1, 9), f).reject, reject_reason::price_out_of_bounds);
    EXPECT_EQ(b.insert(mk(1, 'A', B, 1, 501), f).reject, reject_reason::price_out_of_bounds);
    auto ok = b.insert(mk(1, 'A', B, 1, 10), f);
    EXPECT_EQ(ok.reject, reject_reason::none);
    EXPECT_EQ(b.insert(mk(2, 'A', S, 1, 500), f).status, order_status::open);
    auto dup = b.insert(mk(1, 'B', S, 1, 10), f);
    EXPECT_EQ(dup.reject, reject_reason::duplicate_id);
    EXPECT_EQ(dup.status, order_status::rejected);
    EXPECT_TRUE(f.trades.empty());
    EXPECT_EQ(b.open_orders(), 2u);
    EXPECT_STREQ(to_string(reject_reason::price_out_of_bounds), "price_out_of_bounds");
    EXPECT_THROW(order_book(10, 5), std::invalid_argument);
    EXPECT_THROW(order_book(-1, 5), std::invalid_argument);
}

TEST(OrderBook, ExpiryRemovesDueOrdersOnly) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', B, 100, 100, time_in_force::gtc, 1000), f);
    b.insert(mk(2, 'A', B, 100, 101, time_in_force::gtc, 2000), f);
    b.insert(mk(3, 'A', B, 100, 102), f);
    b.insert(mk(4, 'A', B, 100, 103, time_in_force::gtc, 1000), f);
    EXPECT_TRUE(b.cancel(4));
    std::vector<order_id> gone;
    EXPECT_EQ(b.expire_before(999, gone), 0u);
    EXPECT_EQ(b.expire_before(1000, gone), 1u);
    EXPECT_EQ(gone, (std::vector<order_id>{1}));
    EXPECT_EQ(b.expire_before(5000, gone), 1u);
    EXPECT_EQ(gone, (std::vector<order_id>{1, 2}));
    EXPECT_TRUE(b.find(3));
    EXPECT_EQ(b.open_orders(), 1u);
}

TEST(OrderBook, DepthAggregatesByLevel) {
    order_book b(10, 500);
    fills f;
    b.insert(mk(1, 'A', B, 100, 100), f);
    b.insert(mk(2, 'B', B, 200, 100), f);
    b.insert(mk(3, 'C', B, 50, 98), f);
    b.insert(mk(4, 'D', B, 70, 10), f);
    b.insert(mk(5, 'A', S, 10, 110), f);
    b.insert(mk(6, 'B', S, 20, 500), f);
    b.insert(mk(7, 'C', S, 30, 110), f);
    EXPECT_EQ(b.bids(10), (std::vector<level>{{100, 300, 2}, {98, 50, 1}, {10, 70, 1}}));
    EXPECT_EQ(b.bids(2), (std::vector<level>{{100, 300, 2}, {98, 50, 1}}));
    EXPECT_EQ(b.asks(10), (std::vector<level>{{110, 40, 2}, {500, 20, 1}}));
    b.insert(mk(8, 'D', S, 150, 100), f);  // fills order 1, then 50 of order 2
    EXPECT_EQ(b.bids(1), (std::vector<level>{{100, 150, 1}}));
}

TEST(OrderBook, TradeAmountRoundsHalfUp) {
    EXPECT_EQ(trade_amount(1, 499), 0);   // 0.499
    EXPECT_EQ(trade_amount(1, 500), 1);   // 0.5 -> 1
    EXPECT_EQ(trade_amount(3, 500), 2);   // 1.5 -> 2
    EXPECT_EQ(trade_amount(1000, 150), 150);
    EXPECT_EQ(trade_amount(max_energy_wh, 1'000'000), max_energy_wh * 1000);  // no overflow
}

// ---- randomized comparison with a naive O(n) book ----

namespace {

struct ref_order {
    order o;
    std::int64_t remaining;
    std::uint64_t seq;
};

struct ref_book {
    std::vector<ref_order> rest;
    std::uint64_t seq = 0;

    insert_result insert(const order& o, fills& f, std::int64_t floor, std::int64_t ceiling) {
        f.clear();
        insert_result r;
        if (o.id == 0) { r.reject = reject_reason::invalid_id; return r; }
        if (o.account == 0) { r.reject = reject_reason::invalid_account; return r; }
        if (o.energy_wh <= 0 || o.energy_wh > max_energy_wh) { r.reject = reject_reason::invalid_energy; return r; }
        if (o.price < floor || o.price > ceiling) { r.reject = reject_reason::price_out_of_bounds; return r; }
        for (auto& x : rest) if (x.o.id == o.id) { r.reject = reject_reason::duplicate_id; return r; }
        std::int64_t rem = o.energy_wh;
        while (rem > 0) {
            int best = -1;
            for (int i = 0; i < static_cast<int>(rest.size()); ++i) {
                const auto& x = rest[i];
                if (x.o.side == o.side) continue;
                bool crosses = o.side == side::buy ? x.o.price <= o.price : x.o.price >= o.price;
                if (!crosses) continue;
                if (best < 0) { best = i; continue; }
                const auto& y = rest[best];
                bool better = o.side == side::buy ? x.o.price < y.o.price : x.o.price > y.o.price;
                if (better || (x.o.price == y.o.price && x.seq < y.seq)) best = i;
            }
            if (best < 0) break;
            auto& x = rest[best];
            if (x.o.account == o.account) {
                f.self_trade_cancelled.push_back(x.o.id);
                rest.erase(rest.begin() + best);
                continue;
            }
            std::int64_t q = std::min(rem, x.remaining);
            bool buy = o.side == side::buy;
            f.trades.push_back(trade{buy ? o.account : x.o.account, buy ? x.o.account : o.account,
                                     buy ? o.id : x.o.id, buy ? x.o.id : o.id, q, x.o.price,
                                     q * x.o.price / 1000 + ((q * x.o.price) % 1000 >= 500 ? 1 : 0)});
            rem -= q;
            x.remaining -= q;
            if (x.remaining == 0) rest.erase(rest.begin() + best);
        }
        r.filled_wh = o.energy_wh - rem;
        r.remaining_wh = rem;
        if (rem == 0) { r.status = order_status::filled; return r; }
        if (o.tif == time_in_force::ioc) { r.status = order_status::cancelled; return r; }
        rest.push_back({o, rem, ++seq});
        r.status = order_status::open;
        return r;
    }

    bool cancel(order_id id) {
        auto it = std::find_if(rest.begin(), rest.end(), [&](auto& x) { return x.o.id == id; });
        if (it == rest.end()) return false;
        rest.erase(it);
        return true;
    }

    std::vector<order_id> expire(std::int64_t now) {
        std::vector<ref_order> due;
        for (auto& x : rest) if (x.o.expires_at && *x.o.expires_at <= now) due.push_back(x);
        std::sort(due.begin(), due.end(), [](auto& a, auto& b) {
            return *a.o.expires_at != *b.o.expires_at ? *a.o.expires_at < *b.o.expires_at : a.seq < b.seq;
        });
        std::vector<order_id> ids;
        for (auto& x : due) { ids.push_back(x.o.id); cancel(x.o.id); }
        return ids;
    }

    std::vector<level> depth(side s) const {
        std::map<std::int64_t, level> m;
        for (auto& x : rest) {
            if (x.o.side != s) continue;
            auto& l = m[x.o.price];
            l.price = x.o.price;
            l.energy_wh += x.remaining;
            ++l.orders;
        }
        std::vector<level> out;
        for (auto& [p, l] : m) out.push_back(l);
        if (s == side::buy) std::reverse(out.begin(), out.end());
        return out;
    }
};

// Prices drawn from [floor - 2, ceiling + 2] (some out of bounds).
void run_random(std::uint32_t seed, int ops, std::int64_t floor, std::int64_t ceiling) {
    order_book b(floor, ceiling, 16);  // tiny pools: exercises growth
    ref_book ref;
    fills f, rf;
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    std::map<order_id, std::int64_t> original, traded;
    order_id next_id = 1;
    std::int64_t now = 0;
    for (int step = 0; step < ops; ++step) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
        auto op = pick(0, 99);
        if (op < 70) {
            order o;
            o.id = pick(0, 49) == 0 ? pick(0, static_cast<std::int64_t>(next_id)) : next_id++;  // some dup/0 ids
            o.account = "ABCDP"[pick(0, 4)];
            o.side = pick(0, 1) ? side::buy : side::sell;
            o.energy_wh = pick(0, 60) == 0 ? 0 : pick(1, 1000);
            o.price = pick(floor - 2, ceiling + 2);
            o.tif = pick(0, 4) == 0 ? time_in_force::ioc : time_in_force::gtc;
            if (pick(0, 2) == 0) o.expires_at = now + pick(0, 50);
            auto r = b.insert(o, f);
            auto rr = ref.insert(o, rf, floor, ceiling);
            ASSERT_EQ(r.reject, rr.reject);
            ASSERT_EQ(r.status, rr.status);
            ASSERT_EQ(r.filled_wh, rr.filled_wh);
            ASSERT_EQ(r.remaining_wh, rr.remaining_wh);
            ASSERT_EQ(f.trades, rf.trades);
            ASSERT_EQ(f.self_trade_cancelled, rf.self_trade_cancelled);
            if (r.reject == reject_reason::none) {
                original[o.id] = o.energy_wh;
                traded[o.id] = 0;
                std::int64_t sum = 0;
                for (auto& t : f.trades) {
                    sum += t.energy_wh;
                    traded[t.buy_order] += t.energy_wh;
                    traded[t.sell_order] += t.energy_wh;
                    ASSERT_NE(t.buyer, t.seller);
                    ASSERT_EQ(t.amount, trade_amount(t.energy_wh, t.price));
                }
                ASSERT_EQ(sum, r.filled_wh);  // energy conserved
            }
        } else if (op < 90) {
            auto id = static_cast<order_id>(pick(0, static_cast<std::int64_t>(next_id)));
            ASSERT_EQ(b.cancel(id), ref.cancel(id));
        } else {
            now += pick(0, 20);
            std::vector<order_id> gone;
            b.expire_before(now, gone);
            ASSERT_EQ(gone, ref.expire(now));
        }
        ASSERT_EQ(b.bids(1000), ref.depth(side::buy));
        ASSERT_EQ(b.asks(1000), ref.depth(side::sell));
        ASSERT_EQ(b.open_orders(), ref.rest.size());
        if (b.best_bid() && b.best_ask()) {
            ASSERT_LT(*b.best_bid(), *b.best_ask());  // never crossed
        }
        for (auto& x : ref.rest) {
            auto s = b.find(x.o.id);
            ASSERT_TRUE(s);
            ASSERT_EQ(s->remaining_wh, x.remaining);
            ASSERT_EQ(s->remaining_wh, original[x.o.id] - traded[x.o.id]);
        }
    }
}

}  // namespace

TEST(OrderBook, RandomizedMatchesNaiveReference) {
    // 130 levels: three bitmap words, many crossings.
    for (std::uint32_t seed : {1u, 2u, 3u, 7u, 42u, 1234u}) run_random(seed, 4000, 100, 229);
}

TEST(OrderBook, RandomizedWideRangeMatchesNaiveReference) {
    // 5000 levels (79 bitmap words): sparse books, best-price scans across many words.
    for (std::uint32_t seed : {5u, 6u}) run_random(seed, 4000, 0, 4999);
}
