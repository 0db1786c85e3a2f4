// The market ledger's pure rules: drafts that do not balance are refused, the
// hash chain is deterministic, and verify() finds a changed posting, a changed
// amount, a deleted row, a reordered row and a stored balance that differs.
#include "domain/market/ledger.hpp"

#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain::market;

namespace {

domain::time_point at(const char* iso) { return *domain::parse_iso8601(iso); }

ledger_draft solar(std::int64_t wh) {
    return {entry_kind::solar_credit, at("2026-11-29T10:00:00.123Z"), "readings 1-2", false,
            {{"solar", -wh, 0}, {"A", wh / 2, 0}, {"B", wh - wh / 2, 0}}};
}

ledger_draft trade(std::int64_t wh, std::int64_t money) {
    return {entry_kind::trade, at("2026-11-29T10:05:00Z"), "trade 7", false,
            {{"A", -wh, money}, {"B", wh, -money}}};
}

ledger_draft consumed(std::int64_t wh) {
    return {entry_kind::consumption_debit, at("2026-11-29T10:10:00Z"), "readings 2-3", true,
            {{"B", -wh, 0}, {"consumption", wh, 0}}};
}

// Four entries chained, and their balances.
struct chain_fixture {
    std::vector<ledger_entry> entries;
    balances sums;
    chain_fixture() {
        std::optional<ledger_entry> prev;
        for (auto d : {solar(1000), trade(200, 3000), consumed(150), solar(11)}) {
            EXPECT_FALSE(check(d));
            auto e = chain(d, prev);
            add_postings(sums, e);
            entries.push_back(e);
            prev = e;
        }
    }
};

bool has(const verify_report& r, ledger_problem::what w, std::int64_t id) {
    for (const auto& p : r.problems)
        if (p.kind == w && p.entry_id == id) return true;
    return false;
}

}  // namespace

TEST(Ledger, CheckRefusesUnbalancedAndMalformedDrafts) {
    EXPECT_FALSE(check(solar(1000)));
    EXPECT_FALSE(check(trade(1, 1)));
    auto d = trade(200, 3000);
    d.postings[0].energy_wh = -199;
    EXPECT_EQ(*check(d), "unbalanced: energy postings sum to 1 Wh");
    d = trade(200, 3000);
    d.postings[1].money = -2999;
    EXPECT_EQ(*check(d), "unbalanced: money postings sum to 1");
    d = trade(200, 3000);
    d.postings.pop_back();
    EXPECT_TRUE(check(d));  // one posting
    d = trade(200, 3000);
    d.postings[1].account = "E";
    EXPECT_EQ(*check(d), "unknown account 'E'");
    d = trade(200, 3000);
    d.postings[1].account = "A";
    EXPECT_EQ(*check(d), "account A posted twice");
    d = solar(0);
    EXPECT_TRUE(check(d));  // postings of zero
    d = trade(200, 3000);
    d.reference.assign(257, 'x');
    EXPECT_TRUE(check(d));
    // Sums that overflow int64 are still caught.
    d = {entry_kind::adjustment, {}, "x", false,
         {{"A", INT64_MAX, 0}, {"B", INT64_MAX, 0}, {"adjustment", 2, 0}}};
    EXPECT_TRUE(check(d));
}

TEST(Ledger, ChainIsDeterministicAndStartsAtGenesis) {
    chain_fixture f;
    ASSERT_EQ(f.entries.size(), 4u);
    EXPECT_EQ(f.entries[0].id, 1);
    EXPECT_EQ(f.entries[0].prev_hash, genesis_hash);
    EXPECT_EQ(f.entries[1].prev_hash, f.entries[0].hash);
    EXPECT_EQ(f.entries[0].hash, chain_hash(genesis_hash, f.entries[0]));
    EXPECT_EQ(f.entries[0].hash.size(), 64u);
    // Postings are hashed in account order whatever order they came in.
    auto d = solar(1000);
    std::reverse(d.postings.begin(), d.postings.end());
    EXPECT_EQ(chain(d, std::nullopt).hash, f.entries[0].hash);
    // Time is kept to the millisecond.
    d.at += std::chrono::microseconds(400);
    EXPECT_EQ(chain(d, std::nullopt).hash, f.entries[0].hash);
    EXPECT_EQ(canonical_bytes(f.entries[0]),
              "solgrid-ledger-v1\n1\n1795946400123\nsolar_credit\n0\n12:readings 1-2\nA\t500\t0\nB\t500\t0\nsolar\t-1000\t0\n");
}

TEST(Ledger, IntactLedgerVerifies) {
    chain_fixture f;
    auto r = verify(f.entries, f.sums);
    EXPECT_TRUE(r.ok()) << r.problems.front().message;
    EXPECT_EQ(r.entries, 4u);
    EXPECT_EQ(r.accounts, 4u);  // A, B, solar, consumption
    EXPECT_EQ(r.head, f.entries.back().hash);
    EXPECT_TRUE(verify({}, {}).ok());
    EXPECT_EQ(verify({}, {}).head, genesis_hash);
}

TEST(Ledger, ChangedPostingIsDetected) {
    chain_fixture f;
    f.entries[1].postings[0].account = "C";  // the trade's seller swapped
    auto r = verify(f.entries, f.sums);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().kind, ledger_problem::what::bad_hash);
    EXPECT_EQ(r.problems.front().entry_id, 2);
    EXPECT_NE(r.problems.front().message.find("entry 2"), std::string::npos);
    EXPECT_FALSE(has(r, ledger_problem::what::broken_link, 3));  // reported once, not as every later link
}

TEST(Ledger, ChangedAmountIsDetectedAndItsBalanceToo) {
    chain_fixture f;
    f.entries[2].postings[0].energy_wh -= 100;  // B consumed 100 Wh more
    f.entries[2].postings[1].energy_wh += 100;  // still balanced
    auto r = verify(f.entries, f.sums);
    EXPECT_TRUE(has(r, ledger_problem::what::bad_hash, 3));
    EXPECT_EQ(r.problems.front().entry_id, 3);
    bool b = false;
    for (const auto& p : r.problems) b |= p.kind == ledger_problem::what::balance_mismatch && p.account == "B";
    EXPECT_TRUE(b);
}

TEST(Ledger, ChangedAmountWithRehashedRowBreaksTheNextLink) {
    chain_fixture f;
    f.entries[1].postings[0].money = 1;
    f.entries[1].postings[1].money = -1;
    f.entries[1].hash = chain_hash(f.entries[1].prev_hash, f.entries[1]);  // the tamperer rehashes the row
    auto r = verify(f.entries, f.sums);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().kind, ledger_problem::what::broken_link);
    EXPECT_EQ(r.problems.front().entry_id, 3);
    EXPECT_EQ(r.problems.front().expected, f.entries[1].hash);
}

TEST(Ledger, DeletedRowIsDetected) {
    chain_fixture f;
    f.entries.erase(f.entries.begin() + 1);
    auto r = verify(f.entries, f.sums);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().entry_id, 3);
    EXPECT_TRUE(has(r, ledger_problem::what::bad_id, 3));
    EXPECT_TRUE(has(r, ledger_problem::what::broken_link, 3));
}

TEST(Ledger, DeletedLastRowIsDetectedByTheBalances) {
    chain_fixture f;
    f.entries.pop_back();
    auto r = verify(f.entries, f.sums);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().kind, ledger_problem::what::balance_mismatch);
}

TEST(Ledger, ReorderedRowIsDetected) {
    chain_fixture f;
    std::swap(f.entries[1], f.entries[2]);
    auto r = verify(f.entries, f.sums);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.problems.front().entry_id, 3);
    // Renumbering them back into order breaks their hashes (the id is hashed).
    f = chain_fixture{};
    std::swap(f.entries[1].postings, f.entries[2].postings);
    std::swap(f.entries[1].kind, f.entries[2].kind);
    r = verify(f.entries, f.sums);
    EXPECT_TRUE(has(r, ledger_problem::what::bad_hash, 2));
}

TEST(Ledger, StoredBalanceThatDiffersIsNamed) {
    chain_fixture f;
    f.sums["A"].money += 5;
    f.sums["pool"].energy_wh = 0;  // an account present with nothing is fine
    auto r = verify(f.entries, f.sums);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].account, "A");
    EXPECT_EQ(r.problems[0].message, "account A: balance 305 Wh, money 3005 but its postings sum to 305 Wh, money 3000");
}

TEST(Ledger, UnbalancedStoredEntryIsReported) {
    chain_fixture f;
    f.entries[0].postings[0].energy_wh = -999;
    f.entries[0].hash = chain_hash(genesis_hash, f.entries[0]);
    auto r = verify(f.entries, f.sums);
    EXPECT_TRUE(has(r, ledger_problem::what::unbalanced, 1));
}
