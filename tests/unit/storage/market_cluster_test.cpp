// Several market services on one database, as several solgrid instances
// (issue 15; docs/market.md "Several instances"), on both backends: an order
// placed on one is matched on the other, an order filled or cancelled on one
// is neither traded nor cancelled on the other, reads show the same book,
// concurrent orders through two database handles trade exactly once, and
// readings stored through either are settled once, from the newest one; the
// store's guarded version step refuses a stale batch, also when two handles race.
#include "../device/fakes.hpp"
#include "domain/market/market_service.hpp"
#include "domain/ports.hpp"
#include "storage/sql_ledger_store.hpp"
#include "storage/sql_market_store.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <filesystem>
#include <map>
#include <thread>

using namespace solgrid;
using namespace solgrid::domain::market;
namespace asio = boost::asio;
using test_support::backend;
using test_support::run;

namespace {

ledger_draft give(const std::string& account, std::int64_t wh, std::int64_t money) {
    return {entry_kind::adjustment, domain::clock::now(), "test opening balance", false,
            {{account, wh, money}, {"adjustment", -wh, -money}}};
}

order_request req(std::string h, side s, std::int64_t wh, std::int64_t price) {
    return {std::move(h), s, wh, price, time_in_force::gtc, std::nullopt};
}

market_settings quick() {
    market_settings s;
    s.update_interval = std::chrono::milliseconds(0);
    return s;
}

// One "instance": its own stores and service over a database handle.
struct instance {
    storage::sql_market_store mstore;
    storage::sql_ledger_store lstore;
    test::recording_notifier events;
    market_service market;
    instance(storage::database& db, market_settings s = quick())
        : mstore(db), lstore(db), market(mstore, lstore, events, std::move(s)) {}
};

std::map<std::string, boost::json::value> accounts_json(market_service& m) {
    std::map<std::string, boost::json::value> out;
    for (const auto& a : m.accounts()) out[a.holder] = market_service::to_json(a);
    return out;
}

class MarketCluster : public test_support::backend_test {
protected:
    std::unique_ptr<instance> start(market_settings s = quick()) {
        auto i = std::make_unique<instance>(db(), std::move(s));
        run(ioc_, i->market.warm_up());
        return i;
    }
    account_view account(market_service& m, const std::string& h) {
        for (auto& a : m.accounts())
            if (a.holder == h) return a;
        ADD_FAILURE() << "no account " << h;
        return {};
    }
    verify_report verify_ledger(storage::sql_ledger_store& l) {
        verifier v;
        std::int64_t after = 0;
        for (;;) {
            auto rows = run(ioc_, l.entries_after(after, 500));
            for (auto& e : rows) v.add(e);
            if (rows.size() < 500) break;
            after = rows.back().id;
        }
        return v.finish(run(ioc_, l.current_balances()));
    }
    long long scalar(const std::string& sql) {
        return run(ioc_, db().read<long long>([sql](soci::session& s) {
            long long n = 0;
            soci::indicator ind = soci::i_null;
            s << sql, soci::into(n, ind);
            return ind == soci::i_ok ? n : 0;
        }));
    }
    void fund() {
        storage::sql_ledger_store l(db());
        for (auto h : {"A", "B", "C", "D"}) run(ioc_, l.append(give(h, 100000, 10000000)));
    }
};

}  // namespace

TEST_P(MarketCluster, AnOrderPlacedOnOneIsMatchedOnTheOther) {
    fund();
    auto one = start(), two = start();
    auto sell = run(ioc_, one->market.place(req("A", side::sell, 500, 150)));
    ASSERT_FALSE(sell.refused);
    // Two has not seen the sell: its first commit conflicts, it rebuilds and
    // runs the buy again on the current book.
    auto buy = run(ioc_, two->market.place(req("B", side::buy, 300, 160)));
    ASSERT_FALSE(buy.refused);
    EXPECT_NE(buy.order.id, sell.order.id);
    ASSERT_EQ(buy.trades.size(), 1u);
    EXPECT_EQ(buy.trades[0].sell_order_id, sell.order.id);
    EXPECT_EQ(buy.trades[0].price, 150);
    EXPECT_EQ(buy.order.status, record_status::filled);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM trade_history"), 1);
    EXPECT_EQ(scalar("SELECT filled_wh FROM market_orders WHERE id = " + std::to_string(sell.order.id)), 300);
    // Both report the same book and balances (one after a sync: one SELECT).
    run(ioc_, one->market.sync());
    run(ioc_, two->market.sync());
    EXPECT_EQ(one->market.book_json(20), two->market.book_json(20));
    EXPECT_EQ(accounts_json(one->market), accounts_json(two->market));
    EXPECT_EQ(account(one->market, "A").reserved_energy_wh, 200);
    EXPECT_TRUE(verify_ledger(one->lstore).ok());
    // The version moved once per commit.
    EXPECT_EQ(scalar("SELECT version FROM market_version WHERE id = 1"), 2);
}

TEST_P(MarketCluster, AnOrderFilledOnOneIsNotTradedNorCancelledOnTheOther) {
    fund();
    auto one = start();
    auto sell = run(ioc_, one->market.place(req("A", side::sell, 500, 150)));
    auto two = start();  // has the sell resting in its book
    auto fill = run(ioc_, one->market.place(req("B", side::buy, 500, 150)));
    ASSERT_EQ(fill.trades.size(), 1u);
    // Two still has the sell in memory; its buy must not trade against it.
    auto late = run(ioc_, two->market.place(req("C", side::buy, 500, 160)));
    ASSERT_FALSE(late.refused);
    EXPECT_TRUE(late.trades.empty());
    EXPECT_EQ(late.order.status, record_status::open);
    auto cancel = run(ioc_, two->market.cancel(sell.order.id, std::nullopt));
    ASSERT_TRUE(cancel.refused);
    EXPECT_EQ(cancel.refused->kind, refusal::code::not_open);
    EXPECT_EQ(cancel.order.status, record_status::filled);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM trade_history"), 1);
    EXPECT_EQ(scalar("SELECT SUM(energy_wh) FROM trade_history WHERE sell_order_id = " + std::to_string(sell.order.id)),
              500);
    // Both see C's bid; A's energy moved once.
    run(ioc_, one->market.sync());
    EXPECT_EQ(one->market.book_json(20), two->market.book_json(20));
    EXPECT_EQ(account(one->market, "A").energy_wh, 100000 - 500);
    EXPECT_EQ(account(two->market, "A").energy_wh, 100000 - 500);
    EXPECT_TRUE(verify_ledger(one->lstore).ok());
}

TEST_P(MarketCluster, AnOrderPlacedOnOneIsCancelledOnTheOther) {
    fund();
    auto one = start(), two = start();
    auto sell = run(ioc_, one->market.place(req("A", side::sell, 500, 150)));
    auto cancel = run(ioc_, two->market.cancel(sell.order.id, std::string("A")));
    ASSERT_FALSE(cancel.refused) << cancel.refused->message;
    EXPECT_EQ(cancel.order.status, record_status::cancelled);
    // Cancelled once: one knows it (after a sync), a second cancel is a 409.
    run(ioc_, one->market.sync());
    EXPECT_TRUE(one->market.book_json(20)["book"].at("asks").as_array().empty());
    EXPECT_EQ(account(one->market, "A").reserved_energy_wh, 0);
    auto again = run(ioc_, one->market.cancel(sell.order.id, std::nullopt));
    ASSERT_TRUE(again.refused);
    EXPECT_EQ(again.refused->kind, refusal::code::not_open);
    // Someone else's order stays hidden on the other instance too.
    auto other = run(ioc_, one->market.place(req("B", side::buy, 100, 100)));
    auto hidden = run(ioc_, two->market.cancel(other.order.id, std::string("C")));
    ASSERT_TRUE(hidden.refused);
    EXPECT_EQ(hidden.refused->kind, refusal::code::unknown_order);
}

TEST_P(MarketCluster, ABalanceEarnedOnOneIsSpendableOnTheOther) {
    storage::sql_ledger_store l(db());
    run(ioc_, l.append(give("A", 1000, 0)));
    run(ioc_, l.append(give("B", 0, 1000000)));
    auto one = start(), two = start();
    run(ioc_, one->market.place(req("A", side::sell, 1000, 100)));
    run(ioc_, one->market.place(req("B", side::buy, 1000, 100)));  // B now holds 1000 Wh
    // Two still thinks B has no energy: its refusal is checked against the
    // stored version and the order runs again on the current balances.
    auto sell = run(ioc_, two->market.place(req("B", side::sell, 800, 120)));
    ASSERT_FALSE(sell.refused) << sell.refused->message;
    // A's energy is gone: refused on both, whatever two thought before.
    auto a = run(ioc_, two->market.place(req("A", side::sell, 1, 120)));
    ASSERT_TRUE(a.refused);
    EXPECT_EQ(a.refused->kind, refusal::code::insufficient_energy);
}

// Two database handles (two writer threads, as two processes; SQLite on a
// file) and a pool of two threads: orders fired at both instances at once,
// crossing ones included. Every trade once, no order over-filled, energy and
// money conserved, the ledger intact, the same book on both afterwards.
TEST_P(MarketCluster, ConcurrentOrdersOnTwoInstancesTradeExactlyOnce) {
    storage::database_options o = options();
    std::filesystem::path file;
    if (GetParam() == backend::sqlite) {
        file = std::filesystem::temp_directory_path() / ("solgrid-market-" + std::to_string(::getpid()) + ".db");
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
        o.sqlite_path = file.string();
    }
    {
        storage::database dbx(o), dby(o);
        {
            storage::sql_ledger_store l(dbx);
            for (auto h : {"A", "B", "C", "D"}) run(ioc_, l.append(give(h, 100000, 10000000)));
        }
        instance x(dbx), y(dby);
        asio::io_context ioc(2);
        run(ioc, x.market.warm_up());
        run(ioc, y.market.warm_up());
        std::vector<std::future<place_outcome>> placed;
        const char* hs[] = {"A", "B", "C", "D"};
        for (int i = 0; i < 100; ++i) {
            auto& m = i % 2 ? y.market : x.market;
            // 50 sells from 145..154 and 50 buys from 146..155: most cross.
            auto r = i < 50 ? req(hs[i % 4], side::sell, 100 + i, 145 + i % 10)
                            : req(hs[(i + 1) % 4], side::buy, 100 + i, 146 + i % 10);
            placed.push_back(asio::co_spawn(ioc, m.place(r), asio::use_future));
        }
        ioc.restart();
        std::thread helper([&ioc] { ioc.run(); });
        ioc.run();
        helper.join();
        std::set<std::int64_t> ids;
        std::size_t trades_reported = 0;
        for (auto& f : placed) {
            auto out = f.get();
            ASSERT_FALSE(out.refused) << out.refused->message;
            EXPECT_TRUE(ids.insert(out.order.id).second) << "order id " << out.order.id << " twice";
            trades_reported += out.trades.size();
        }
        auto count = [&](const std::string& sql) {
            return run(ioc_, dbx.read<long long>([sql](soci::session& s) {
                long long n = 0;
                soci::indicator ind = soci::i_null;
                s << sql, soci::into(n, ind);
                return ind == soci::i_ok ? n : 0;
            }));
        };
        EXPECT_EQ(count("SELECT COUNT(*) FROM market_orders"), 100);
        EXPECT_EQ(count("SELECT COUNT(*) FROM trade_history"), static_cast<long long>(trades_reported));
        EXPECT_GT(trades_reported, 0u);
        EXPECT_EQ(count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'trade'"),
                  static_cast<long long>(trades_reported));
        // No order filled beyond its energy, and each one's fill is its trades.
        EXPECT_EQ(count("SELECT COUNT(*) FROM market_orders WHERE filled_wh > energy_wh"), 0);
        EXPECT_EQ(count("SELECT COUNT(*) FROM market_orders o WHERE filled_wh <> (SELECT COALESCE(SUM(energy_wh), 0) "
                        "FROM trade_history t WHERE t.buy_order_id = o.id OR t.sell_order_id = o.id)"),
                  0);
        EXPECT_EQ(count("SELECT SUM(energy_wh) FROM market_accounts WHERE account IN ('A','B','C','D')"), 400000);
        EXPECT_EQ(count("SELECT SUM(money) FROM market_accounts WHERE account IN ('A','B','C','D')"), 40000000);
        EXPECT_TRUE(verify_ledger(x.lstore).ok());
        run(ioc, x.market.sync());
        run(ioc, y.market.sync());
        EXPECT_EQ(x.market.book_json(50), y.market.book_json(50));
        EXPECT_EQ(accounts_json(x.market), accounts_json(y.market));
        auto bids = x.market.book_json(1)["book"].at("bids").as_array();
        auto asks = x.market.book_json(1)["book"].at("asks").as_array();
        if (!bids.empty() && !asks.empty())
            EXPECT_LT(bids.at(0).at("price").as_int64(), asks.at(0).at("price").as_int64()) << "crossed book";
        dbx.close();
        dby.close();
    }
    if (!file.empty())
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

// Readings stored alternately through two instances: each interval between
// consecutive readings is settled exactly once, by the instance that stored
// the later reading, from the newest reading either one settled.
TEST_P(MarketCluster, ReadingsAlternatingBetweenInstancesSettleEachIntervalOnce) {
    settlement_config sc;  // A-D 25 each
    auto one = start(), two = start();
    one->market.set_settlement(sc);
    two->market.set_settlement(sc);
    auto t0 = std::chrono::floor<std::chrono::milliseconds>(domain::clock::now()) - std::chrono::minutes(1);
    // 36 kW for 2 s = 20 Wh per interval, 5 Wh per household.
    for (int i = 0; i < 10; ++i) {
        auto& m = i % 2 ? two->market : one->market;
        m.on_reading(t0 + std::chrono::seconds(2 * i), {60, 36000.0, 1000.0}, {});
        run(ioc_, m.tick());
    }
    // 9 intervals x 20 Wh, each once (per-instance baselines would have
    // settled 4 s intervals twice over: 320 Wh).
    EXPECT_EQ(-scalar("SELECT energy_wh FROM market_accounts WHERE account = 'solar'"), 180);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'solar_credit'"), 9);
    run(ioc_, one->market.sync());
    EXPECT_EQ(account(one->market, "A").energy_wh, 45);
    EXPECT_EQ(account(two->market, "A").energy_wh, 45);
    // A reading older than the newest settled one is not settled again.
    one->market.on_reading(t0 + std::chrono::seconds(17), {60, 36000.0, 1000.0}, {});
    run(ioc_, one->market.tick());
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'solar_credit'"), 9);
    EXPECT_TRUE(verify_ledger(one->lstore).ok());
}

// The settlement of a reading whose commit conflicted is not counted twice:
// the next reading settles from the stored newest one.
TEST_P(MarketCluster, AConflictedSettlementIsNotCountedTwice) {
    fund();
    settlement_config sc;
    auto one = start(), two = start();
    one->market.set_settlement(sc);
    two->market.set_settlement(sc);
    auto t0 = std::chrono::floor<std::chrono::milliseconds>(domain::clock::now()) - std::chrono::minutes(1);
    one->market.on_reading(t0, {60, 36000.0, 1000.0}, {});
    run(ioc_, one->market.tick());
    // Two is stale (it has not seen one's commit): an order on it and a
    // reading queued behind it conflict together.
    two->market.on_reading(t0 + std::chrono::seconds(2), {60, 36000.0, 1000.0}, {});
    run(ioc_, two->market.place(req("A", side::sell, 10, 100)));
    run(ioc_, two->market.tick());
    two->market.on_reading(t0 + std::chrono::seconds(4), {60, 36000.0, 1000.0}, {});
    run(ioc_, two->market.tick());
    // Whatever happened to the reading at +2 s, 0..4 s is 40 Wh, once.
    EXPECT_EQ(-scalar("SELECT energy_wh FROM market_accounts WHERE account = 'solar'"), 40);
    EXPECT_TRUE(verify_ledger(one->lstore).ok());
}

// The store itself: a batch from a stale version stores nothing and throws
// market_conflict; the version and the newest settled reading are read back.
TEST_P(MarketCluster, TheStoreRefusesABatchFromAStaleVersionAndStoresNothing) {
    storage::sql_market_store store(db());
    EXPECT_EQ(run(ioc_, store.version()), 0);
    auto now = std::chrono::floor<std::chrono::milliseconds>(domain::clock::now());
    market_batch b;
    b.version = 0;
    order_record o;
    o.id = 1;
    o.household = "A";
    o.side = side::sell;
    o.energy_wh = 10;
    o.price = 100;
    o.created_at = o.updated_at = now;
    b.new_orders.push_back(o);
    b.settled = settle_point{now, {55, 1234.5, 99.0}, {std::nullopt, 12.25, std::nullopt, 0.0}};
    run(ioc_, store.commit(b));
    EXPECT_EQ(run(ioc_, store.version()), 1);
    auto snap = run(ioc_, store.load());
    EXPECT_EQ(snap.version, 1);
    ASSERT_TRUE(snap.settled);
    EXPECT_EQ(snap.settled->at, now);
    EXPECT_EQ(snap.settled->value.soc, 55);
    EXPECT_EQ(snap.settled->value.solar_w, 1234.5);
    EXPECT_EQ(snap.settled->value.lux, 99.0);
    EXPECT_EQ(snap.settled->meter_wh, b.settled->meter_wh);
    // The same version again (another instance's batch computed from 0).
    market_batch stale;
    stale.version = 0;
    o.id = 2;
    stale.new_orders.push_back(o);
    EXPECT_THROW(run(ioc_, store.commit(stale)), market_conflict);
    EXPECT_FALSE(run(ioc_, store.order(2)));
    EXPECT_EQ(run(ioc_, store.version()), 1);
    stale.version = 1;  // from the current version it goes in
    run(ioc_, store.commit(stale));
    EXPECT_TRUE(run(ioc_, store.order(2)));
    EXPECT_EQ(run(ioc_, store.version()), 2);
}

// Two database handles commit a batch computed from the same version at
// once, many times over (the same order id, as two instances would assign
// it): exactly one is stored each time, the other conflicts (never a
// duplicate-key failure, never both).
TEST_P(MarketCluster, RacingCommitsFromOneVersionExactlyOneWins) {
    storage::database_options o = options();
    std::filesystem::path file;
    if (GetParam() == backend::sqlite) {
        file = std::filesystem::temp_directory_path() / ("solgrid-mrace-" + std::to_string(::getpid()) + ".db");
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
        o.sqlite_path = file.string();
    }
    {
        storage::database one(o), two(o);
        storage::sql_market_store a(one), b(two);
        asio::io_context ioc(2);
        auto now = std::chrono::floor<std::chrono::milliseconds>(domain::clock::now());
        for (int round = 0; round < 25; ++round) {
            auto batch = [&](const char* household) {
                market_batch m;
                m.version = round;
                order_record r;
                r.id = round + 1;
                r.household = household;
                r.side = side::buy;
                r.energy_wh = 5;
                r.price = 100;
                r.created_at = r.updated_at = now;
                m.new_orders.push_back(r);
                return m;
            };
            auto fa = asio::co_spawn(ioc, a.commit(batch("A")), asio::use_future);
            auto fb = asio::co_spawn(ioc, b.commit(batch("B")), asio::use_future);
            ioc.restart();
            std::thread helper([&ioc] { ioc.run(); });
            ioc.run();
            helper.join();
            int stored = 0, conflicts = 0;
            for (auto* f : {&fa, &fb}) {
                try {
                    f->get();
                    ++stored;
                } catch (const market_conflict&) {
                    ++conflicts;
                }
            }
            EXPECT_EQ(stored, 1) << round;
            EXPECT_EQ(conflicts, 1) << round;
        }
        EXPECT_EQ(run(ioc_, a.version()), 25);
        EXPECT_EQ(run(ioc_, a.orders(std::nullopt, false, 100)).size(), 25u);
        one.close();
        two.close();
    }
    if (!file.empty())
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketCluster, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);
