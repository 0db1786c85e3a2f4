// The market service over the real stores on both backends (in-memory SQLite
// and a real MariaDB): trades move energy and money and land in
// trade_history and the ledger, refusals, cancels, a restart keeps the book,
// entries appended by another process are picked up, a failed commit rebuilds
// the market from the database, relays are held off by the rules, the pool's
// standing order follows SoC, and a randomized stream keeps every invariant.
#include "../device/fakes.hpp"
#include "domain/market/market_service.hpp"
#include "domain/ports.hpp"
#include "storage/sql_ledger_store.hpp"
#include "storage/sql_market_store.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <random>

using namespace solgrid;
using namespace solgrid::domain::market;
namespace asio = boost::asio;
using test_support::run;

namespace {

ledger_draft give(const std::string& account, std::int64_t wh, std::int64_t money) {
    return {entry_kind::adjustment, domain::clock::now(), "test opening balance", false,
            {{account, wh, money}, {"adjustment", -wh, -money}}};
}

order_request req(std::string h, side s, std::int64_t wh, std::int64_t price,
                  time_in_force tif = time_in_force::gtc) {
    return {std::move(h), s, wh, price, tif, std::nullopt};
}

class MarketService : public test_support::backend_test {
protected:
    void SetUp() override {
        backend_test::SetUp();
        if (HasFatalFailure()) return;
        mstore_ = std::make_unique<storage::sql_market_store>(db());
        lstore_ = std::make_unique<storage::sql_ledger_store>(db());
    }
    // market_update is not coalesced in tests: a coalescing timer would keep
    // run() waiting for it after every call.
    static market_settings quick() {
        market_settings s;
        s.update_interval = std::chrono::milliseconds(0);
        return s;
    }
    std::unique_ptr<market_service> open(market_settings s = quick()) {
        auto m = std::make_unique<market_service>(*mstore_, *lstore_, events_, s);
        run(ioc_, m->warm_up());
        return m;
    }
    account_view account(market_service& m, const std::string& h) {
        for (auto& a : m.accounts())
            if (a.holder == h) return a;
        ADD_FAILURE() << "no account " << h;
        return {};
    }
    verify_report verify_ledger() {
        verifier v;
        std::int64_t after = 0;
        for (;;) {
            auto rows = run(ioc_, lstore_->entries_after(after, 500));
            for (auto& e : rows) v.add(e);
            if (rows.size() < 500) break;
            after = rows.back().id;
        }
        return v.finish(run(ioc_, lstore_->current_balances()));
    }
    long long count(const std::string& table) {
        return run(ioc_, db().read<long long>([table](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(*) FROM " + table, soci::into(n);
            return n;
        }));
    }
    void sql(std::string statement) {
        run(ioc_, db().write_alone<int>([statement](soci::session& s) {
            s << statement;
            return 0;
        }));
    }

    test::recording_notifier events_;
    std::unique_ptr<storage::sql_market_store> mstore_;
    std::unique_ptr<storage::sql_ledger_store> lstore_;
};

}  // namespace

TEST_P(MarketService, TwoHouseholdsTradeAndEverythingIsStored) {
    run(ioc_, lstore_->append(give("A", 1000, 0)));
    run(ioc_, lstore_->append(give("B", 0, 100000)));
    auto m = open();
    auto sell = run(ioc_, m->place(req("A", side::sell, 500, 150)));
    ASSERT_FALSE(sell.refused);
    EXPECT_EQ(sell.order.status, record_status::open);
    EXPECT_TRUE(sell.trades.empty());
    EXPECT_EQ(account(*m, "A").free_energy_wh(), 500);

    auto buy = run(ioc_, m->place(req("B", side::buy, 300, 160)));
    ASSERT_FALSE(buy.refused);
    EXPECT_EQ(buy.order.status, record_status::filled);
    ASSERT_EQ(buy.trades.size(), 1u);
    const auto& t = buy.trades[0];
    EXPECT_EQ(t.buyer, "B");
    EXPECT_EQ(t.seller, "A");
    EXPECT_EQ(t.energy_wh, 300);
    EXPECT_EQ(t.price, 150);  // the resting order's price
    EXPECT_EQ(t.amount, 45);  // 300 Wh * 150 / 1000
    EXPECT_EQ(t.sell_order_id, sell.order.id);
    EXPECT_EQ(t.buy_order_id, buy.order.id);

    auto a = account(*m, "A"), b = account(*m, "B");
    EXPECT_EQ(a.energy_wh, 700);
    EXPECT_EQ(a.money, 45);
    EXPECT_EQ(a.reserved_energy_wh, 200);
    EXPECT_EQ(b.energy_wh, 300);
    EXPECT_EQ(b.money, 100000 - 45);
    EXPECT_EQ(b.reserved_money, 0);

    // Stored: the trade in trade_history, both orders, the ledger balanced.
    auto trades = run(ioc_, mstore_->trades({std::nullopt, domain::clock::now() - std::chrono::hours(1),
                                             domain::clock::now() + std::chrono::hours(1), 100}));
    ASSERT_EQ(trades.size(), 1u);
    auto expected = t;
    expected.at = std::chrono::floor<std::chrono::milliseconds>(t.at);  // stored to the millisecond
    EXPECT_EQ(trades[0], expected);
    auto stored_sell = run(ioc_, mstore_->order(sell.order.id));
    ASSERT_TRUE(stored_sell);
    EXPECT_EQ(stored_sell->filled_wh, 300);
    EXPECT_EQ(stored_sell->status, record_status::open);
    auto report = verify_ledger();
    EXPECT_TRUE(report.ok()) << report.problems.front().message;
    auto balances = run(ioc_, lstore_->current_balances());
    EXPECT_EQ(balances["A"].energy_wh, 700);
    EXPECT_EQ(balances["B"].money, 100000 - 45);

    // Events: the trade to everyone, order/account updates to the rooms.
    EXPECT_EQ(events_.of("trade_executed").size(), 1u);
    bool b_room = false;
    for (auto& [e, rooms] : events_.rooms)
        if (e == "account_update" && std::find(rooms.begin(), rooms.end(), "household:B") != rooms.end()) b_room = true;
    EXPECT_TRUE(b_room);
    EXPECT_FALSE(events_.of("market_update").empty());
}

TEST_P(MarketService, RefusesWhatTheBalancesOrBoundsDoNotAllow) {
    run(ioc_, lstore_->append(give("A", 100, 1000)));
    auto m = open();
    auto too_much = run(ioc_, m->place(req("A", side::sell, 101, 150)));
    ASSERT_TRUE(too_much.refused);
    EXPECT_EQ(too_much.refused->kind, refusal::code::insufficient_energy);
    auto ok = run(ioc_, m->place(req("A", side::sell, 60, 150)));
    ASSERT_FALSE(ok.refused);
    // Energy in open sells is not free any more.
    auto second = run(ioc_, m->place(req("A", side::sell, 41, 150)));
    ASSERT_TRUE(second.refused);
    EXPECT_EQ(second.refused->kind, refusal::code::insufficient_energy);
    // 10 kWh at 101 costs 1010 > 1000.
    auto poor = run(ioc_, m->place(req("A", side::buy, 10000, 101)));
    ASSERT_TRUE(poor.refused);
    EXPECT_EQ(poor.refused->kind, refusal::code::insufficient_money);
    auto price = run(ioc_, m->place(req("A", side::buy, 10, 1001)));
    ASSERT_TRUE(price.refused);
    EXPECT_EQ(price.refused->kind, refusal::code::bad_field);
    EXPECT_EQ(price.refused->field, "price");
    auto who = run(ioc_, m->place(req("E", side::buy, 10, 100)));
    ASSERT_TRUE(who.refused);
    EXPECT_EQ(who.refused->field, "household");
    auto past = order_request{"A", side::buy, 10, 100, time_in_force::gtc, domain::clock::now() - std::chrono::seconds(1)};
    auto late = run(ioc_, m->place(past));
    ASSERT_TRUE(late.refused);
    EXPECT_EQ(late.refused->field, "expires_at");
    EXPECT_EQ(count("market_orders"), 1);  // only the accepted one
}

TEST_P(MarketService, CreditLimitLetsABuyerGoBelowZero) {
    market_settings s = quick();
    s.credit_limit = 500;
    auto m = open(s);
    EXPECT_FALSE(run(ioc_, m->place(req("C", side::buy, 1000, 500))).refused);
    auto more = run(ioc_, m->place(req("C", side::buy, 1, 500)));
    ASSERT_TRUE(more.refused);
    EXPECT_EQ(more.refused->kind, refusal::code::insufficient_money);
}

TEST_P(MarketService, CancelIocAndSelfTrade) {
    run(ioc_, lstore_->append(give("A", 1000, 100000)));
    run(ioc_, lstore_->append(give("B", 1000, 100000)));
    auto m = open();
    auto s1 = run(ioc_, m->place(req("A", side::sell, 400, 200)));
    auto c = run(ioc_, m->cancel(s1.order.id, std::string("B")));  // someone else's: not revealed
    ASSERT_TRUE(c.refused);
    EXPECT_EQ(c.refused->kind, refusal::code::unknown_order);
    c = run(ioc_, m->cancel(s1.order.id, std::string("A")));
    ASSERT_FALSE(c.refused);
    EXPECT_EQ(c.order.status, record_status::cancelled);
    EXPECT_EQ(c.order.reason, end_reason::user);
    EXPECT_EQ(account(*m, "A").reserved_energy_wh, 0);
    c = run(ioc_, m->cancel(s1.order.id, std::nullopt));
    ASSERT_TRUE(c.refused);
    EXPECT_EQ(c.refused->kind, refusal::code::not_open);
    c = run(ioc_, m->cancel(999, std::nullopt));
    ASSERT_TRUE(c.refused);
    EXPECT_EQ(c.refused->kind, refusal::code::unknown_order);

    // ioc: what does not fill at once is cancelled, nothing rests.
    auto s2 = run(ioc_, m->place(req("B", side::sell, 100, 200)));
    auto ioc = run(ioc_, m->place(req("A", side::buy, 300, 250, time_in_force::ioc)));
    EXPECT_EQ(ioc.order.status, record_status::cancelled);
    EXPECT_EQ(ioc.order.reason, end_reason::ioc);
    EXPECT_EQ(ioc.order.filled_wh, 100);
    EXPECT_EQ(account(*m, "A").reserved_money, 0);

    // Self-trade: A's resting buy is cancelled by A's crossing sell.
    auto b1 = run(ioc_, m->place(req("A", side::buy, 50, 300)));
    auto s3 = run(ioc_, m->place(req("A", side::sell, 50, 250)));
    EXPECT_TRUE(s3.trades.empty());
    auto stored = run(ioc_, mstore_->order(b1.order.id));
    EXPECT_EQ(stored->status, record_status::cancelled);
    EXPECT_EQ(stored->reason, end_reason::self_trade);
    (void)s2;
    EXPECT_TRUE(verify_ledger().ok());
}

TEST_P(MarketService, ARestartKeepsTheBookAndContinuesTheIds) {
    run(ioc_, lstore_->append(give("A", 5000, 0)));
    run(ioc_, lstore_->append(give("B", 0, 1000000)));
    boost::json::object before;
    std::int64_t last_id = 0;
    {
        auto m = open();
        run(ioc_, m->place(req("A", side::sell, 1000, 120)));
        run(ioc_, m->place(req("A", side::sell, 1000, 110)));
        run(ioc_, m->place(req("B", side::buy, 500, 90)));
        auto t = run(ioc_, m->place(req("B", side::buy, 300, 115)));  // trades 300 @ 110
        ASSERT_EQ(t.trades.size(), 1u);
        last_id = t.order.id;
        before = m->book_json(20);
    }
    auto m = open();
    EXPECT_EQ(m->book_json(20), before);
    EXPECT_EQ(m->last_price(), 110);
    EXPECT_EQ(account(*m, "A").reserved_energy_wh, 1700);
    auto next = run(ioc_, m->place(req("B", side::buy, 700, 110)));  // the rest at 110: time priority kept
    EXPECT_EQ(next.order.id, last_id + 1);
    ASSERT_EQ(next.trades.size(), 1u);
    EXPECT_EQ(next.trades[0].price, 110);
    EXPECT_EQ(next.trades[0].id, 2);
    EXPECT_EQ(count("trade_history"), 2);
    EXPECT_TRUE(verify_ledger().ok());
}

TEST_P(MarketService, PicksUpAdjustmentsAppendedByAnotherProcess) {
    auto m = open();
    EXPECT_EQ(account(*m, "D").energy_wh, 0);
    run(ioc_, lstore_->append(give("D", 700, 300)));  // as `solgrid ledger adjust` would
    run(ioc_, m->tick());
    EXPECT_EQ(account(*m, "D").energy_wh, 700);
    EXPECT_EQ(account(*m, "D").money, 300);
    // And between two of the market's own ledger entries (two trades).
    run(ioc_, lstore_->append(give("C", 0, 100000)));
    run(ioc_, m->tick());
    EXPECT_FALSE(run(ioc_, m->place(req("D", side::sell, 100, 100))).refused);
    EXPECT_EQ(run(ioc_, m->place(req("C", side::buy, 50, 100))).trades.size(), 1u);
    run(ioc_, lstore_->append(give("A", 10, 0)));
    EXPECT_EQ(run(ioc_, m->place(req("C", side::buy, 50, 100))).trades.size(), 1u);
    EXPECT_EQ(account(*m, "A").energy_wh, 10);  // seen in the gap before the second trade's entry
    run(ioc_, m->tick());
    EXPECT_EQ(account(*m, "A").energy_wh, 10);  // not twice
}

TEST_P(MarketService, AFailedCommitAnswersUnavailableAndRebuildsFromTheDatabase) {
    run(ioc_, lstore_->append(give("A", 1000, 0)));
    run(ioc_, lstore_->append(give("B", 0, 100000)));
    auto m = open();
    run(ioc_, m->place(req("A", side::sell, 500, 150)));
    // The database refuses the next trade row.
    const bool mysql = GetParam() == test_support::backend::mysql;
    sql(mysql ? "CREATE TRIGGER refuse_trades BEFORE INSERT ON trade_history FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'"
              : "CREATE TRIGGER refuse_trades BEFORE INSERT ON trade_history BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
    EXPECT_ANY_THROW(run(ioc_, m->place(req("B", side::buy, 200, 150))));
    sql("DROP TRIGGER refuse_trades");
    // Rebuilt from the database: the failed trade never happened.
    EXPECT_EQ(account(*m, "A").energy_wh, 1000);
    EXPECT_EQ(account(*m, "B").money, 100000);
    EXPECT_EQ(account(*m, "A").reserved_energy_wh, 500);
    auto again = run(ioc_, m->place(req("B", side::buy, 200, 150)));
    ASSERT_FALSE(again.refused);
    EXPECT_EQ(again.trades.size(), 1u);
    EXPECT_EQ(count("trade_history"), 1);
    EXPECT_TRUE(verify_ledger().ok());
}

TEST_P(MarketService, SettlementEnforcementAndTheSocFloor) {
    domain::relay_state relays;
    relays.on = {true, true, false, false};
    std::vector<std::pair<domain::relay_patch, std::string>> switched;
    auto m = open();
    m->set_relays({[&] { return relays; },
                   [&](domain::relay_patch p, std::string why) -> asio::awaitable<void> {
                       switched.emplace_back(p, why);
                       relays = p.applied_to(relays);
                       co_return;
                   }});
    // A settlement that credits A 100 Wh and debits B 0 (B holds nothing).
    m->set_settlement([](domain::time_point at, const domain::reading&, const std::array<std::optional<double>, 4>&,
                         const domain::relay_state&) {
        return std::vector<ledger_draft>{{entry_kind::solar_credit, at, "readings", false, {{"solar", -100, 0}, {"A", 100, 0}}}};
    });
    m->on_reading(domain::clock::now(), {50, 400.0, 1000.0}, {});
    run(ioc_, m->tick());  // let the queued work finish
    EXPECT_EQ(account(*m, "A").energy_wh, 100);
    EXPECT_FALSE(m->relay_block(0));
    EXPECT_EQ(m->relay_block(1), "energy_balance");
    ASSERT_EQ(switched.size(), 1u);
    EXPECT_FALSE(switched[0].first.on[0]);
    EXPECT_EQ(switched[0].first.on[1], false);
    EXPECT_NE(switched[0].second.find("energy balance"), std::string::npos);
    EXPECT_TRUE(relays.on[0]);
    EXPECT_FALSE(relays.on[1]);
    // SoC at the floor: every relay off.
    m->on_reading(domain::clock::now(), {10, 0.0, 0.0}, {});
    run(ioc_, m->tick());
    EXPECT_EQ(m->relay_block(0), "soc_floor");
    EXPECT_FALSE(relays.on[0]);
    EXPECT_TRUE(verify_ledger().ok());
}

TEST_P(MarketService, ExemptAndEnforcementOff) {
    market_settings s = quick();
    s.exempt = {false, true, false, false};
    auto m = open(s);
    EXPECT_EQ(m->relay_block(0), "energy_balance");
    EXPECT_FALSE(m->relay_block(1));
    s.enforce = false;
    auto off = open(s);
    EXPECT_FALSE(off->relay_block(0));
}

TEST_P(MarketService, ThePoolsStandingOrderFollowsSoc) {
    market_settings s = quick();
    s.pool_prices = std::make_pair(400, 100);
    run(ioc_, lstore_->append(give("pool", 2000, 0)));
    auto m = open(s);
    m->on_reading(domain::clock::now(), {0, 0.0, 0.0}, {});
    run(ioc_, m->tick());
    auto book = m->book_json(5);
    ASSERT_EQ(book["book"].at("asks").as_array().size(), 1u);
    EXPECT_EQ(book["book"].at("asks").at(0).at("price").as_int64(), 400);
    EXPECT_EQ(book["book"].at("asks").at(0).at("energy_wh").as_int64(), 2000);
    m->on_reading(domain::clock::now(), {80, 0.0, 0.0}, {});
    run(ioc_, m->tick());
    book = m->book_json(5);
    ASSERT_EQ(book["book"].at("asks").as_array().size(), 1u);
    EXPECT_EQ(book["book"].at("asks").at(0).at("price").as_int64(), 160);  // 400 + (100 - 400) * 0.8
    // A household buys from the pool.
    run(ioc_, lstore_->append(give("C", 0, 10000)));
    run(ioc_, m->tick());
    auto buy = run(ioc_, m->place(req("C", side::buy, 500, 200)));
    ASSERT_EQ(buy.trades.size(), 1u);
    EXPECT_EQ(buy.trades[0].seller, "pool");
    EXPECT_EQ(buy.trades[0].price, 160);
    EXPECT_EQ(account(*m, "pool").energy_wh, 1500);
    EXPECT_TRUE(verify_ledger().ok());
}

TEST_P(MarketService, RandomStreamKeepsEveryInvariant) {
    const std::array<std::string, 4> hs{"A", "B", "C", "D"};
    for (auto& h : hs) run(ioc_, lstore_->append(give(h, 20000, 2000000)));
    auto m = open();
    std::mt19937 rng(20261130);
    std::vector<std::int64_t> placed;
    std::size_t trades = 0;
    const int n = GetParam() == test_support::backend::mysql ? 150 : 400;
    for (int i = 0; i < n; ++i) {
        if (!placed.empty() && rng() % 5 == 0) {
            run(ioc_, m->cancel(placed[rng() % placed.size()], std::nullopt));
            continue;
        }
        auto r = req(hs[rng() % 4], rng() % 2 ? side::buy : side::sell, 1 + rng() % 800, 90 + rng() % 30,
                     rng() % 4 == 0 ? time_in_force::ioc : time_in_force::gtc);
        auto out = run(ioc_, m->place(r));
        if (out.refused) continue;
        placed.push_back(out.order.id);
        trades += out.trades.size();
    }
    // Conserved: energy and money only moved between holders.
    std::int64_t energy = 0, money = 0;
    for (auto& a : m->accounts()) {
        energy += a.energy_wh;
        money += a.money;
        EXPECT_GE(a.free_energy_wh(), 0) << a.holder;
    }
    EXPECT_EQ(energy, 4 * 20000);
    EXPECT_EQ(money, 4 * 2000000);
    // Never crossed.
    auto book = m->book_json(1);
    if (!book["book"].at("bids").as_array().empty() && !book["book"].at("asks").as_array().empty()) {
        EXPECT_LT(book["book"].at("bids").at(0).at("price").as_int64(), book["book"].at("asks").at(0).at("price").as_int64());
    }
    EXPECT_EQ(count("trade_history"), static_cast<long long>(trades));
    auto report = verify_ledger();
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.problems.front().message);
    // The stored state rebuilds to the same book.
    auto again = open();
    EXPECT_EQ(again->book_json(50), m->book_json(50));
    for (auto& h : hs) {
        EXPECT_EQ(account(*again, h).reserved_energy_wh, account(*m, h).reserved_energy_wh) << h;
        EXPECT_EQ(account(*again, h).reserved_money, account(*m, h).reserved_money) << h;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketService,
                         ::testing::Values(test_support::backend::sqlite, test_support::backend::mysql),
                         test_support::backend_name);
