// The market ledger's store against both backends (in-memory SQLite and a
// real MariaDB; see test_backends.hpp): appends chain and update balances in
// one transaction, unbalanced drafts are refused with nothing stored, paging,
// concurrent appends never fork the chain, and a row changed underneath is
// found by verify().
#include "domain/ports.hpp"
#include "storage/sql_ledger_store.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <future>

using namespace solgrid;
using namespace solgrid::domain::market;
namespace asio = boost::asio;
using test_support::run;

namespace {

domain::time_point at(const char* iso) { return *domain::parse_iso8601(iso); }

ledger_draft adjust(const std::string& account, std::int64_t wh, std::int64_t money, std::string why = "fix") {
    return {entry_kind::adjustment, at("2026-11-29T10:00:00.5Z"), std::move(why), false,
            {{account, wh, money}, {"adjustment", -wh, -money}}};
}

std::vector<ledger_entry> all(asio::io_context& ioc, ledger_store& s, std::size_t page = 1000) {
    std::vector<ledger_entry> out;
    std::int64_t after = 0;
    for (;;) {
        auto rows = run(ioc, s.entries_after(after, page));
        out.insert(out.end(), rows.begin(), rows.end());
        if (rows.size() < page) return out;
        after = rows.back().id;
    }
}

class LedgerStore : public test_support::backend_test {};

}  // namespace

TEST_P(LedgerStore, AppendChainsStoresAndUpdatesBalances) {
    storage::sql_ledger_store store(db());
    auto e1 = run(ioc_, store.append(adjust("A", 1000, 50000, "opening balance")));
    EXPECT_EQ(e1.id, 1);
    EXPECT_EQ(e1.prev_hash, genesis_hash);
    ledger_draft t{entry_kind::trade, at("2026-11-29T10:01:02.345Z"), "trade 1", false,
                   {{"B", 300, -4500}, {"A", -300, 4500}}};
    auto e2 = run(ioc_, store.append(t));
    EXPECT_EQ(e2.id, 2);
    EXPECT_EQ(e2.prev_hash, e1.hash);
    ledger_draft c{entry_kind::consumption_debit, at("2026-11-29T10:02:00Z"), "readings 5-9", true,
                   {{"B", -120, 0}, {"consumption", 120, 0}}};
    run(ioc_, store.append(c));

    auto rows = all(ioc_, store);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[1].hash, e2.hash);
    EXPECT_EQ(rows[1].kind, entry_kind::trade);
    EXPECT_EQ(rows[1].reference, "trade 1");
    EXPECT_EQ(domain::to_iso8601(rows[1].at), "2026-11-29T10:01:02.345Z");
    ASSERT_EQ(rows[1].postings.size(), 2u);
    EXPECT_EQ(rows[1].postings[0], (posting{"A", -300, 4500}));  // account order
    EXPECT_TRUE(rows[2].estimated);
    EXPECT_FALSE(rows[1].estimated);

    auto b = run(ioc_, store.current_balances());
    EXPECT_EQ(b["A"], (balance{700, 54500}));
    EXPECT_EQ(b["B"], (balance{180, -4500}));
    EXPECT_EQ(b["adjustment"], (balance{-1000, -50000}));
    EXPECT_EQ(b["consumption"], (balance{120, 0}));

    auto r = verify(rows, b);
    EXPECT_TRUE(r.ok()) << r.problems.front().message;
    EXPECT_EQ(r.head, rows.back().hash);
}

TEST_P(LedgerStore, UnbalancedDraftIsRefusedAndNothingStored) {
    storage::sql_ledger_store store(db());
    auto d = adjust("A", 10, 0);
    d.postings[1].energy_wh = -9;
    EXPECT_THROW(run(ioc_, store.append(d)), domain::storage_refused);
    d = adjust("E", 10, 0);
    EXPECT_THROW(run(ioc_, store.append(d)), domain::storage_refused);
    EXPECT_TRUE(run(ioc_, store.entries_after(0, 10)).empty());
    EXPECT_TRUE(run(ioc_, store.current_balances()).empty());
    EXPECT_EQ(run(ioc_, store.append(adjust("A", 10, 0))).id, 1);  // the chain starts cleanly after
}

TEST_P(LedgerStore, PagesAndConcurrentAppendsKeepOneChain) {
    storage::sql_ledger_store store(db());
    // 40 appends in flight at once (group commit would batch plain writes):
    // each must see the previous head, so ids are 1..40 and the chain verifies.
    std::vector<std::future<ledger_entry>> fs;
    for (int i = 0; i < 40; ++i)
        fs.push_back(asio::co_spawn(ioc_, store.append(adjust(i % 2 ? "A" : "pool", i + 1, -i, "n" + std::to_string(i))),
                                    asio::use_future));
    ioc_.restart();
    ioc_.run();
    for (auto& f : fs) f.get();
    auto rows = all(ioc_, store, 7);
    ASSERT_EQ(rows.size(), 40u);
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].id, static_cast<std::int64_t>(i + 1));
    auto r = verify(rows, run(ioc_, store.current_balances()));
    EXPECT_TRUE(r.ok()) << r.problems.front().message;
    EXPECT_EQ(r.accounts, 3u);
}

TEST_P(LedgerStore, RowChangedUnderneathIsFound) {
    storage::sql_ledger_store store(db());
    for (int i = 0; i < 3; ++i) run(ioc_, store.append(adjust("C", 100, 1000)));
    run(ioc_, db().write_alone<int>([](soci::session& s) {
        s << "UPDATE ledger_postings SET energy_wh = 900 WHERE entry_id = 2 AND account = 'C'";
        return 0;
    }));
    auto r = verify(all(ioc_, store), run(ioc_, store.current_balances()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().entry_id, 2);
    EXPECT_EQ(r.problems.front().kind, ledger_problem::what::bad_hash);
}

TEST_P(LedgerStore, SecondChainRowWithTheSameIdIsRefused) {
    storage::sql_ledger_store store(db());
    auto e = run(ioc_, store.append(adjust("D", 1, 1)));
    // What a second appender that read the same head would insert.
    EXPECT_THROW(run(ioc_, db().write_alone<int>([e](soci::session& s) {
                     std::string at = storage::to_db_time(e.at), h(64, 'f');
                     long long id = e.id;
                     s << "INSERT INTO ledger_entries (id, at, kind, reference, estimated, prev_hash, hash)"
                          " VALUES (:id, :at, 'adjustment', 'fork', 0, :p, :h)",
                         soci::use(id), soci::use(at), soci::use(e.prev_hash), soci::use(h);
                     return 0;
                 })),
                 domain::storage_refused);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerStore,
                         ::testing::Values(test_support::backend::sqlite, test_support::backend::mysql),
                         test_support::backend_name);
