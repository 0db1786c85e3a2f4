// The market service's version and conflict logic (issue 15, docs/market.md
// "Several instances") with the storage replaced by an in-memory database
// that two services share, as two instances share MySQL: a commit from a
// stale version is refused (market_conflict) and the service rebuilds and runs
// the request again; reads sync on the version; a reading whose commit
// conflicted is settled again, once; and one service alone never conflicts
// nor reads the version on its order path.
#include "../device/fakes.hpp"
#include "../run_awaitable.hpp"
#include "domain/market/market_service.hpp"

#include <gtest/gtest.h>

#include <mutex>

using namespace solgrid;
using namespace solgrid::domain::market;
namespace asio = boost::asio;
using test::run;

namespace {

// The shared "database": what sql_market_store and sql_ledger_store keep.
struct memory_db {
    std::mutex m;
    std::int64_t version = 0;
    std::map<std::int64_t, order_record> orders;
    std::vector<trade_record> trades;
    std::vector<ledger_entry> entries;
    balances accounts;
    std::optional<settle_point> settled;
    int commits = 0, conflicts = 0, version_reads = 0;

    std::pair<std::int64_t, std::int64_t> append_locked(const std::vector<ledger_draft>& ds) {
        std::pair<std::int64_t, std::int64_t> ids{0, 0};
        for (const auto& d : ds) {
            ledger_entry e;
            static_cast<ledger_draft&>(e) = d;
            e.id = static_cast<std::int64_t>(entries.size()) + 1;
            entries.push_back(e);
            add_postings(accounts, d);
            if (!ids.first) ids.first = e.id;
            ids.second = e.id;
        }
        return ids;
    }
};

class memory_market_store final : public market_store {
public:
    explicit memory_market_store(memory_db& db) : db_(db) {}
    asio::awaitable<std::pair<std::int64_t, std::int64_t>> commit(market_batch b) override {
        std::lock_guard lk(db_.m);
        if (b.version != db_.version) {  // the guarded UPDATE found no row
            ++db_.conflicts;
            throw market_conflict();
        }
        for (const auto& o : b.new_orders)
            if (!db_.orders.emplace(o.id, o).second) throw domain::storage_refused("duplicate order id");
        for (const auto& o : b.changed_orders) db_.orders[o.id] = o;
        for (const auto& t : b.trades) {
            for (const auto& x : db_.trades)
                if (x.id == t.id) throw domain::storage_refused("duplicate trade id");
            db_.trades.push_back(t);
        }
        if (b.settled) db_.settled = b.settled;
        ++db_.version;
        ++db_.commits;
        co_return db_.append_locked(b.entries);
    }
    asio::awaitable<market_snapshot> load() override {
        std::lock_guard lk(db_.m);
        market_snapshot s;
        s.version = db_.version;
        for (const auto& [id, o] : db_.orders)
            if (o.status == record_status::open) s.open_orders.push_back(o);
        s.accounts = db_.accounts;
        s.max_order_id = db_.orders.empty() ? 0 : db_.orders.rbegin()->first;
        for (const auto& t : db_.trades) s.max_trade_id = std::max(s.max_trade_id, t.id);
        s.ledger_head_id = static_cast<std::int64_t>(db_.entries.size());
        if (!db_.trades.empty()) s.last_price = db_.trades.back().price;
        s.settled = db_.settled;
        co_return s;
    }
    asio::awaitable<std::int64_t> version() override {
        std::lock_guard lk(db_.m);
        ++db_.version_reads;
        co_return db_.version;
    }
    asio::awaitable<std::vector<order_record>> orders(std::optional<std::string>, bool, std::size_t) override {
        co_return std::vector<order_record>{};
    }
    asio::awaitable<std::optional<order_record>> order(std::int64_t id) override {
        std::lock_guard lk(db_.m);
        auto it = db_.orders.find(id);
        if (it == db_.orders.end()) co_return std::nullopt;
        co_return it->second;
    }
    asio::awaitable<std::vector<trade_record>> trades(trade_query) override { co_return std::vector<trade_record>{}; }
    asio::awaitable<std::vector<posting_row>> postings(std::string, domain::time_point, domain::time_point) override {
        co_return std::vector<posting_row>{};
    }

private:
    memory_db& db_;
};

class memory_ledger_store final : public ledger_store {
public:
    explicit memory_ledger_store(memory_db& db) : db_(db) {}
    asio::awaitable<ledger_entry> append(ledger_draft d) override {
        std::lock_guard lk(db_.m);
        db_.append_locked({d});
        co_return db_.entries.back();
    }
    asio::awaitable<std::vector<ledger_entry>> entries_after(std::int64_t after, std::size_t limit) override {
        std::lock_guard lk(db_.m);
        std::vector<ledger_entry> out;
        for (const auto& e : db_.entries)
            if (e.id > after && out.size() < limit) out.push_back(e);
        co_return out;
    }
    asio::awaitable<balances> current_balances() override {
        std::lock_guard lk(db_.m);
        co_return db_.accounts;
    }

private:
    memory_db& db_;
};

struct node {
    memory_market_store mstore;
    memory_ledger_store lstore;
    test::recording_notifier events;
    market_service market;
    explicit node(memory_db& db, market_settings s)
        : mstore(db), lstore(db), market(mstore, lstore, events, std::move(s)) {}
};

order_request req(std::string h, side s, std::int64_t wh, std::int64_t price) {
    return {std::move(h), s, wh, price, time_in_force::gtc, std::nullopt};
}

class MarketVersion : public ::testing::Test {
protected:
    std::unique_ptr<node> start() {
        market_settings s;
        s.update_interval = std::chrono::milliseconds(0);
        auto n = std::make_unique<node>(db_, s);
        run(ioc_, n->market.warm_up());
        return n;
    }
    void fund(const std::string& h, std::int64_t wh, std::int64_t money) {
        std::lock_guard lk(db_.m);
        db_.append_locked({{entry_kind::adjustment, domain::clock::now(), "opening", false,
                            {{h, wh, money}, {"adjustment", -wh, -money}}}});
    }
    std::int64_t energy(market_service& m, const std::string& h) {
        for (const auto& a : m.accounts())
            if (a.holder == h) return a.energy_wh;
        return -1;
    }
    asio::io_context ioc_;
    memory_db db_;
};

}  // namespace

TEST_F(MarketVersion, OneServiceAloneNeverConflictsNorReadsTheVersionToTrade) {
    fund("A", 1000, 0);
    fund("B", 0, 100000);
    auto one = start();
    for (int i = 0; i < 10; ++i) {
        ASSERT_FALSE(run(ioc_, one->market.place(req("A", side::sell, 10, 100 + i))).refused);
        ASSERT_FALSE(run(ioc_, one->market.place(req("B", side::buy, 10, 100 + i))).refused);
    }
    ASSERT_FALSE(run(ioc_, one->market.cancel(run(ioc_, one->market.place(req("A", side::sell, 5, 500))).order.id,
                                              std::nullopt))
                     .refused);
    EXPECT_EQ(db_.conflicts, 0);
    EXPECT_EQ(db_.version_reads, 0);  // the order path costs no extra read
    EXPECT_EQ(db_.version, db_.commits);
    EXPECT_EQ(db_.trades.size(), 10u);
}

TEST_F(MarketVersion, AStaleCommitConflictsAndTheRequestRunsAgainOnTheRebuiltBook) {
    fund("A", 1000, 0);
    fund("B", 0, 100000);
    fund("C", 0, 100000);
    auto one = start(), two = start();
    auto sell = run(ioc_, one->market.place(req("A", side::sell, 100, 150)));
    // Two's book is empty: it would rest this buy. Its commit conflicts, it
    // rebuilds and matches again: the buy trades against one's sell.
    auto buy = run(ioc_, two->market.place(req("B", side::buy, 100, 150)));
    EXPECT_EQ(db_.conflicts, 1);
    ASSERT_EQ(buy.trades.size(), 1u);
    EXPECT_EQ(buy.trades[0].sell_order_id, sell.order.id);
    EXPECT_EQ(db_.orders.at(sell.order.id).status, record_status::filled);
    // One still shows the sell; one more buy there must not trade against it.
    auto late = run(ioc_, one->market.place(req("C", side::buy, 100, 150)));
    EXPECT_EQ(db_.conflicts, 2);
    EXPECT_TRUE(late.trades.empty());
    EXPECT_EQ(late.order.status, record_status::open);
    EXPECT_EQ(db_.trades.size(), 1u);
    EXPECT_EQ(db_.accounts["A"].energy_wh, 900);
    EXPECT_EQ(energy(one->market, "A"), 900);
    EXPECT_EQ(db_.version, db_.commits);
}

TEST_F(MarketVersion, ReadsSyncOnTheVersion) {
    fund("A", 1000, 0);
    auto one = start(), two = start();
    run(ioc_, one->market.place(req("A", side::sell, 100, 150)));
    EXPECT_TRUE(two->market.book_json(5)["book"].at("asks").as_array().empty());  // memory alone: stale
    run(ioc_, two->market.sync());
    EXPECT_EQ(db_.version_reads, 1);
    EXPECT_EQ(two->market.book_json(5), one->market.book_json(5));
    run(ioc_, two->market.sync());  // unchanged: one SELECT, no rebuild
    EXPECT_EQ(two->market.book_json(5), one->market.book_json(5));
}

TEST_F(MarketVersion, ACancelOfAFilledOrderOnAStaleInstanceIsRefusedNotOpen) {
    fund("A", 1000, 0);
    fund("B", 0, 100000);
    auto one = start();
    auto sell = run(ioc_, one->market.place(req("A", side::sell, 100, 150)));
    auto two = start();
    run(ioc_, one->market.place(req("B", side::buy, 100, 150)));
    auto c = run(ioc_, two->market.cancel(sell.order.id, std::nullopt));
    ASSERT_TRUE(c.refused);
    EXPECT_EQ(c.refused->kind, refusal::code::not_open);
    EXPECT_EQ(c.order.status, record_status::filled);
    EXPECT_EQ(db_.orders.at(sell.order.id).status, record_status::filled);
}

TEST_F(MarketVersion, AReadingWhoseCommitConflictedIsSettledAgainOnce) {
    auto one = start(), two = start();
    settlement_config sc;
    one->market.set_settlement(sc);
    two->market.set_settlement(sc);
    auto t0 = std::chrono::floor<std::chrono::milliseconds>(domain::clock::now());
    one->market.on_reading(t0, {60, 36000.0, 0.0}, {});
    run(ioc_, one->market.tick());
    // Two's commit of +2 s conflicts (one moved the version); it is settled
    // again from one's reading: 20 Wh, once.
    two->market.on_reading(t0 + std::chrono::seconds(2), {60, 36000.0, 0.0}, {});
    run(ioc_, two->market.tick());
    EXPECT_GE(db_.conflicts, 1);
    EXPECT_EQ(db_.accounts["solar"].energy_wh, -20);
    ASSERT_TRUE(db_.settled);
    EXPECT_EQ(db_.settled->at, t0 + std::chrono::seconds(2));
    // And one goes on from two's reading, not from its own.
    one->market.on_reading(t0 + std::chrono::seconds(4), {60, 36000.0, 0.0}, {});
    run(ioc_, one->market.tick());
    EXPECT_EQ(db_.accounts["solar"].energy_wh, -40);
    std::size_t credits = 0;
    for (const auto& e : db_.entries) credits += e.kind == entry_kind::solar_credit;
    EXPECT_EQ(credits, 2u);
}
