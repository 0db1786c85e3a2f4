// Settlement and metering: solar credited by share with exact carries, gaps
// not bridged, metered deltas (baseline, counter reset, absurd deltas),
// consumption estimated from SoC and split by nominal power among the
// unmetered households that were on, and every draft balanced.
#include "domain/market/settlement.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace solgrid;
using namespace solgrid::domain;
using namespace solgrid::domain::market;

namespace {

const time_point t0 = *parse_iso8601("2026-11-30T01:00:00Z");

time_point at_ms(std::int64_t ms) { return t0 + std::chrono::milliseconds(ms); }

settle_input in(std::int64_t ms, int soc, double solar_w, std::array<std::optional<double>, 4> meters = {},
                relay_state relays = {{true, true, true, true}}) {
    return {at_ms(ms), reading{soc, solar_w, 0}, meters, relays};
}

// Sum of energy posted to each account over many drafts, checking each draft.
struct totals {
    std::map<std::string, std::int64_t> wh;
    std::map<std::string, std::int64_t> estimated_wh;
    int drafts = 0;
    void add(const std::vector<ledger_draft>& ds) {
        for (const auto& d : ds) {
            ASSERT_EQ(check(d), std::nullopt) << d.reference;
            ++drafts;
            for (const auto& p : d.postings) {
                EXPECT_NE(p.energy_wh, 0);
                EXPECT_EQ(p.money, 0);
                wh[p.account] += p.energy_wh;
                if (d.estimated) estimated_wh[p.account] += p.energy_wh;
            }
        }
    }
};

std::map<std::string, std::int64_t> postings_of(const ledger_draft& d) {
    std::map<std::string, std::int64_t> m;
    for (const auto& p : d.postings) m[p.account] = p.energy_wh;
    return m;
}

const ledger_draft* find(const std::vector<ledger_draft>& ds, entry_kind k, bool estimated = false) {
    for (const auto& d : ds)
        if (d.kind == k && d.estimated == estimated) return &d;
    return nullptr;
}

settlement_config cfg(std::map<std::string, int> shares = {{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}}) {
    settlement_config c;
    c.shares = std::move(shares);
    c.max_gap = std::chrono::seconds(3600);
    return c;
}

}  // namespace

TEST(Settlement, FirstReadingOnlySetsTheBaseline) {
    settlement s(cfg());
    EXPECT_TRUE(s.on_reading(in(0, 50, 1000, {100.0, 200.0, 300.0, 400.0})).empty());
}

TEST(Settlement, SolarIsTheTrapezoidSplitByEqualShares) {
    settlement s(cfg());
    s.on_reading(in(0, 50, 800));
    // (800 + 1200) / 2 W x 1 h = 1000 Wh; the SoC stays, so the estimate sees
    // the solar as consumed: that is the estimated entry, checked elsewhere.
    auto ds = s.on_reading(in(3'600'000, 50, 1200, {0.0, 0.0, 0.0, 0.0}));
    const auto* d = find(ds, entry_kind::solar_credit);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(check(*d), std::nullopt);
    EXPECT_EQ(postings_of(*d), (std::map<std::string, std::int64_t>{
                                   {"A", 250}, {"B", 250}, {"C", 250}, {"D", 250}, {"solar", -1000}}));
    EXPECT_EQ(d->at, at_ms(3'600'000));
    EXPECT_EQ(d->reference, "readings 2026-11-30T01:00:00.000Z..2026-11-30T02:00:00.000Z");
}

TEST(Settlement, UnevenSharesAndThePoolAndAZeroShare) {
    settlement s(cfg({{"A", 50}, {"B", 30}, {"C", 0}, {"pool", 20}}));
    s.on_reading(in(0, 50, 1000));
    auto ds = s.on_reading(in(3'600'000, 50, 1000));
    const auto* d = find(ds, entry_kind::solar_credit);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(postings_of(*d),
              (std::map<std::string, std::int64_t>{{"A", 500}, {"B", 300}, {"pool", 200}, {"solar", -1000}}));
}

TEST(Settlement, ThirdsCarryTheRemainderPerHolder) {
    settlement s(cfg({{"A", 1}, {"B", 1}, {"C", 1}}));
    s.on_reading(in(0, 50, 100));
    auto ds1 = s.on_reading(in(3'600'000, 50, 100));  // 100 Wh
    const auto* d1 = find(ds1, entry_kind::solar_credit);
    ASSERT_NE(d1, nullptr);
    EXPECT_EQ(postings_of(*d1), (std::map<std::string, std::int64_t>{{"A", 33}, {"B", 33}, {"C", 33}, {"solar", -99}}));
    // 2 Wh more: 102 in all, 34 each; the Wh held back is now posted.
    auto d2 = s.on_reading(in(3'600'000 + 72'000, 50, 100));
    const auto* c2 = find(d2, entry_kind::solar_credit);
    ASSERT_NE(c2, nullptr);
    EXPECT_EQ(postings_of(*c2), (std::map<std::string, std::int64_t>{{"A", 1}, {"B", 1}, {"C", 1}, {"solar", -3}}));
}

TEST(Settlement, ManyTinyIntervalsSumExactlyToTheWhole) {
    // 4 W for one hour in 2 s steps: 1800 intervals of 2.22 mWh each; exactly 4 Wh.
    settlement s(cfg());
    totals t;
    for (int i = 0; i <= 1800; ++i) {
        auto ds = s.on_reading(in(i * 2000, 50, 4.0));
        if (i < 1800) {
            EXPECT_EQ(find(ds, entry_kind::solar_credit), nullptr) << i;  // nothing until a whole Wh each
        }
        t.add(ds);
    }
    EXPECT_EQ(t.wh["solar"], -4);
    for (auto h : {"A", "B", "C", "D"}) EXPECT_EQ(t.wh[h] - t.estimated_wh[h], 1) << h;
    EXPECT_EQ(s.solar_units(), __int128{4} * settlement::units_per_wh);
}

TEST(Settlement, AGapIsNotBridgedAndTheNextIntervalIsCredited) {
    settlement_config c = cfg({{"A", 1}});
    c.max_gap = std::chrono::seconds(300);
    settlement s(c);
    s.on_reading(in(0, 50, 3600));
    // 300 s exactly is bridged: 3600 W x 300 s = 300 Wh.
    auto bridged = s.on_reading(in(300'000, 50, 3600));
    ASSERT_NE(find(bridged, entry_kind::solar_credit), nullptr);
    EXPECT_EQ(postings_of(*find(bridged, entry_kind::solar_credit))["A"], 300);
    // 301 s: not bridged, no credit, no estimate; the reading is the new baseline.
    auto gap = s.on_reading(in(601'000, 50, 3600));
    EXPECT_TRUE(gap.empty());
    auto after = s.on_reading(in(661'000, 50, 3600));  // 60 s: 60 Wh
    ASSERT_NE(find(after, entry_kind::solar_credit), nullptr);
    EXPECT_EQ(postings_of(*find(after, entry_kind::solar_credit))["A"], 60);
    // A reading stamped before the previous one is not an interval either.
    EXPECT_EQ(find(s.on_reading(in(660'000, 50, 3600)), entry_kind::solar_credit), nullptr);
}

TEST(Settlement, MeteredDeltasCarrySubWhAndStartFromTheBaseline) {
    settlement s(cfg());
    // Solar 0 and SoC steady: only the meters speak.
    EXPECT_TRUE(s.on_reading(in(0, 50, 0, {1000.0, 2000.0, 0.0, 5.0})).empty());
    auto d1 = s.on_reading(in(2000, 50, 0, {1000.3, 2000.6, 0.0, 5.0}));
    EXPECT_TRUE(d1.empty());  // 0.3 and 0.6 Wh: carried, nothing posted, no draft for C or D
    auto d2 = s.on_reading(in(4000, 50, 0, {1001.0, 2001.2, 0.0, 5.0}));
    const auto* m = find(d2, entry_kind::consumption_debit);
    ASSERT_NE(m, nullptr);
    EXPECT_FALSE(m->estimated);
    EXPECT_EQ(postings_of(*m), (std::map<std::string, std::int64_t>{{"A", -1}, {"B", -1}, {"consumption", 2}}));
    EXPECT_EQ(find(d2, entry_kind::consumption_debit, true), nullptr);
}

TEST(Settlement, ACounterThatGoesDownRestartedAndCountsFromZero) {
    settlement s(cfg());
    s.on_reading(in(0, 50, 0, {900.0, 100.0, 100.0, 100.0}));
    auto ds = s.on_reading(in(10'000, 50, 0, {3.0, 100.0, 100.0, 100.0}));  // A restarted
    const auto* m = find(ds, entry_kind::consumption_debit);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(postings_of(*m), (std::map<std::string, std::int64_t>{{"A", -3}, {"consumption", 3}}));
    auto next = s.on_reading(in(20'000, 50, 0, {5.0, 100.0, 100.0, 100.0}));  // from the new baseline
    EXPECT_EQ(postings_of(*find(next, entry_kind::consumption_debit))["A"], -2);
}

TEST(Settlement, AnAbsurdMeterDeltaIsRefusedAndReBaselined) {
    settlement s(cfg());
    // A at 500 W nominal may draw at most 500 x 10 x 10 s = 13.9 Wh in a 2 s interval.
    s.on_reading(in(0, 50, 0, {0.0, 0.0, 0.0, 0.0}, {{false, false, false, false}}));
    auto ds = s.on_reading(in(2000, 50, 0, {13.0, 14.0, 0.0, 0.0}, {{false, false, false, false}}));
    const auto* m = find(ds, entry_kind::consumption_debit);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(postings_of(*m), (std::map<std::string, std::int64_t>{{"A", -13}, {"consumption", 13}}));
    // B's next delta counts from 14, the value it was refused at.
    auto next = s.on_reading(in(4000, 50, 0, {13.0, 16.0, 0.0, 0.0}, {{false, false, false, false}}));
    EXPECT_EQ(postings_of(*find(next, entry_kind::consumption_debit)),
              (std::map<std::string, std::int64_t>{{"B", -2}, {"consumption", 2}}));
}

TEST(Settlement, MetersCountAcrossALongGap) {
    settlement_config c = cfg();
    c.max_gap = std::chrono::seconds(300);
    settlement s(c);
    s.on_reading(in(0, 80, 0, {10.0, 0.0, 0.0, 0.0}));
    // One hour offline: the meter measured it (A 400 Wh), the SoC drop is not estimated.
    auto ds = s.on_reading(in(3'600'000, 40, 0, {410.0, 0.0, 0.0, 0.0}));
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_FALSE(ds[0].estimated);
    EXPECT_EQ(postings_of(ds[0]), (std::map<std::string, std::int64_t>{{"A", -400}, {"consumption", 400}}));
}

TEST(Settlement, EstimatedSplitByNominalPowerAmongHouseholdsOn) {
    settlement_config c = cfg();
    c.nominal_w = {500, 1500, 500, 500};
    settlement s(c);
    s.on_reading(in(0, 50, 0));
    // 1 % of 10 kWh = 100 Wh discharged, no solar; A and B on (1:3), C and D off.
    auto ds = s.on_reading(in(60'000, 49, 0, {}, {{true, true, false, false}}));
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_TRUE(ds[0].estimated);
    EXPECT_EQ(ds[0].kind, entry_kind::consumption_debit);
    EXPECT_EQ(postings_of(ds[0]), (std::map<std::string, std::int64_t>{{"A", -25}, {"B", -75}, {"consumption", 100}}));
    // Nobody on: a discharge is not billed to anyone.
    EXPECT_TRUE(s.on_reading(in(120'000, 48, 0, {}, {{false, false, false, false}})).empty());
}

TEST(Settlement, SolarInIsPartOfTheNetDischarge) {
    settlement s(cfg({{"pool", 1}}));
    s.on_reading(in(0, 50, 360));
    // SoC steady while 360 W came in for 1000 s (100 Wh): the households on used it.
    auto ds = s.on_reading(in(1'000'000, 50, 360, {}, {{false, false, true, true}}));
    const auto* e = find(ds, entry_kind::consumption_debit, true);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(postings_of(*e), (std::map<std::string, std::int64_t>{{"C", -50}, {"D", -50}, {"consumption", 100}}));
    EXPECT_EQ(postings_of(*find(ds, entry_kind::solar_credit)),
              (std::map<std::string, std::int64_t>{{"pool", 100}, {"solar", -100}}));
}

TEST(Settlement, ASoCStepUpIsCarriedNeverNegative) {
    const relay_state off{}, a_on{{true, false, false, false}};
    settlement s(cfg({{"pool", 1}}));
    // 180 W for 1000 s = 50 Wh in each interval.
    s.on_reading(in(0, 50, 180, {}, off));
    // SoC +1 % (100 Wh) while only 50 Wh came in: -50 Wh of "consumption" would
    // be nonsense (the integer SoC rounded up); it is carried, nothing posted.
    EXPECT_EQ(find(s.on_reading(in(1'000'000, 51, 180, {}, off)), entry_kind::consumption_debit, true), nullptr);
    // SoC steady: the next 50 Wh pay the carry back.
    EXPECT_EQ(find(s.on_reading(in(2'000'000, 51, 180, {}, off)), entry_kind::consumption_debit, true), nullptr);
    // And the next 50 Wh were used by A.
    auto third = s.on_reading(in(3'000'000, 51, 180, {}, a_on));
    const auto* e = find(third, entry_kind::consumption_debit, true);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(postings_of(*e), (std::map<std::string, std::int64_t>{{"A", -50}, {"consumption", 50}}));
}

TEST(Settlement, ASurplusBeyondOneSoCStepIsDropped) {
    const relay_state off{}, a_on{{true, false, false, false}};
    settlement s(cfg({{"pool", 1}}));
    s.on_reading(in(0, 50, 0, {}, off));
    s.on_reading(in(10'000, 60, 0, {}, off));  // +10 %: a charger we do not see; one step (100 Wh) is carried
    s.on_reading(in(20'000, 60, 0, {}, off));
    auto ds = s.on_reading(in(1'020'000, 59, 0, {}, a_on));  // -1 %: pays the step back
    EXPECT_EQ(find(ds, entry_kind::consumption_debit, true), nullptr);
    auto next = s.on_reading(in(2'020'000, 58, 0, {}, a_on));  // -1 %: A used it
    ASSERT_NE(find(next, entry_kind::consumption_debit, true), nullptr);
    EXPECT_EQ(postings_of(*find(next, entry_kind::consumption_debit, true))["A"], -100);
}

TEST(Settlement, OnTimeSinceTheLastSoCStepWeighsTheSplit) {
    settlement s(cfg({{"pool", 1}}));
    s.on_reading(in(0, 50, 0));
    // A on for 30 s, then B alone for 10 s, then the SoC ticks down 1 %: 75 / 25.
    EXPECT_TRUE(s.on_reading(in(30'000, 50, 0, {}, {{true, false, false, false}})).empty());
    auto ds = s.on_reading(in(40'000, 49, 0, {}, {{false, true, false, false}}));
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(postings_of(ds[0]), (std::map<std::string, std::int64_t>{{"A", -75}, {"B", -25}, {"consumption", 100}}));
}

TEST(Settlement, MixedMeteredAndEstimated) {
    settlement s(cfg({{"pool", 1}}));
    s.on_reading(in(0, 50, 0, {100.0, std::nullopt, std::nullopt, 7.0}));
    // 2 % = 200 Wh left the battery; A's meter says 50 Wh of it, D's 0.
    auto ds = s.on_reading(in(60'000, 48, 0, {150.0, std::nullopt, std::nullopt, 7.0}, {{true, true, true, false}}));
    ASSERT_EQ(ds.size(), 2u);
    const auto* m = find(ds, entry_kind::consumption_debit, false);
    const auto* e = find(ds, entry_kind::consumption_debit, true);
    ASSERT_NE(m, nullptr);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(postings_of(*m), (std::map<std::string, std::int64_t>{{"A", -50}, {"consumption", 50}}));
    EXPECT_EQ(postings_of(*e), (std::map<std::string, std::int64_t>{{"B", -75}, {"C", -75}, {"consumption", 150}}));
}

TEST(Settlement, AMeterThatDisappearsIsReBaselinedNotDoubleCounted) {
    settlement s(cfg({{"pool", 1}}));
    s.on_reading(in(0, 50, 0, {100.0, 0.0, 0.0, 0.0}));
    // A's value is missing: A is estimated for this interval (the SoC is steady: nothing).
    EXPECT_TRUE(s.on_reading(in(10'000, 50, 0, {std::nullopt, 0.0, 0.0, 0.0}, {{false, false, false, false}})).empty());
    // Back at 110: no baseline, so this interval is estimated too, not 10 Wh metered.
    EXPECT_TRUE(s.on_reading(in(20'000, 50, 0, {110.0, 0.0, 0.0, 0.0}, {{false, false, false, false}})).empty());
    auto ds = s.on_reading(in(30'000, 50, 0, {112.0, 0.0, 0.0, 0.0}));
    EXPECT_EQ(postings_of(*find(ds, entry_kind::consumption_debit)),
              (std::map<std::string, std::int64_t>{{"A", -2}, {"consumption", 2}}));
}

TEST(Settlement, RandomizedSolarCreditIsTheFloorOfTheIntegral) {
    for (unsigned seed : {1u, 2u, 3u, 20261130u}) {
        std::mt19937_64 rng(seed);
        std::map<std::string, int> shares{{"A", 7}, {"B", 13}, {"C", 1}, {"D", 29}, {"pool", 3}};
        settlement_config c = cfg(shares);
        c.max_gap = std::chrono::seconds(300);
        settlement s(c);
        totals t;
        std::int64_t ms = 0;
        std::int64_t prev_mw = 0;
        __int128 exact = 0;     // in half-microjoules, computed here independently
        long double wh = 0;     // and in floating point, as a sanity check
        for (int i = 0; i < 20000; ++i) {
            const std::int64_t mw = std::uniform_int_distribution<std::int64_t>(0, 5'000'000)(rng);  // 0..5 kW in mW
            std::int64_t dt = std::uniform_int_distribution<std::int64_t>(1, 5000)(rng);
            if (i % 997 == 0) dt = 400'000;  // a gap now and then
            if (i > 0) ms += dt;
            t.add(s.on_reading(in(ms, 50, static_cast<double>(mw) / 1000.0, {}, {})));
            if (i > 0 && dt <= 300'000) {
                exact += (__int128{prev_mw} + mw) * dt;
                wh += (static_cast<long double>(prev_mw + mw) / 2000.0L) * (dt / 3'600'000.0L);
            }
            prev_mw = mw;
        }
        ASSERT_EQ(s.solar_units(), exact) << seed;
        const auto whole = static_cast<std::int64_t>(exact / settlement::units_per_wh);
        EXPECT_NEAR(static_cast<double>(whole), static_cast<double>(wh), 1.0);
        const std::int64_t credited = -t.wh["solar"];
        // Each holder holds the floor of its share: at most (holders - 1) Wh short of the whole.
        EXPECT_LE(credited, whole) << seed;
        EXPECT_GE(credited, whole - 4) << seed;
        std::int64_t sum = 0;
        for (const auto& [h, w] : shares) {
            const auto expect = static_cast<std::int64_t>(exact * w / (__int128{53} * settlement::units_per_wh));
            EXPECT_EQ(t.wh[h] - t.estimated_wh[h], expect) << seed << " " << h;
            EXPECT_EQ(s.credited_wh().at(h), expect);
            sum += expect;
        }
        EXPECT_EQ(sum, credited);
    }
}

TEST(Settlement, RandomizedEveryDraftBalancesAndMetersAreExact) {
    std::mt19937_64 rng(7);
    settlement_config c = cfg({{"A", 1}, {"pool", 2}});
    c.max_gap = std::chrono::seconds(300);
    settlement s(c);
    totals t;
    std::array<double, 4> meter{0, 0, 0, 0};
    std::array<std::int64_t, 4> metered_mwh{};
    std::int64_t ms = 0;
    int soc = 50;
    bool first = true;
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t dt = i % 500 == 499 ? 600'000 : std::uniform_int_distribution<std::int64_t>(500, 4000)(rng);
        ms += dt;
        soc = std::clamp(soc + std::uniform_int_distribution<int>(-1, 1)(rng), 0, 100);
        std::array<std::optional<double>, 4> m;
        relay_state relays;
        for (std::size_t h = 0; h < 4; ++h) {
            relays.on[h] = std::uniform_int_distribution<int>(0, 3)(rng) != 0;
            if (h >= 2) continue;  // A and B metered, C and D estimated
            const std::int64_t add = std::uniform_int_distribution<std::int64_t>(0, 300)(rng);  // mWh
            meter[h] += static_cast<double>(add) / 1000.0;
            if (!first) metered_mwh[h] += add;
            m[h] = std::round(meter[h] * 1000.0) / 1000.0;
        }
        first = false;
        t.add(s.on_reading(in(ms, soc, std::uniform_real_distribution<double>(0, 800)(rng), m, relays)));
    }
    EXPECT_GT(t.drafts, 100);
    // Metered debits are the floor of the metered use, exactly.
    EXPECT_EQ(-(t.wh["A"] - t.estimated_wh["A"] - s.credited_wh().at("A")), metered_mwh[0] / 1000);
    EXPECT_EQ(-(t.wh["B"] - t.estimated_wh["B"]), metered_mwh[1] / 1000);
    EXPECT_EQ(t.estimated_wh["A"], 0);
    EXPECT_EQ(t.estimated_wh["B"], 0);
    EXPECT_LT(t.estimated_wh["C"], 0);
    EXPECT_LT(t.estimated_wh["D"], 0);
    EXPECT_EQ(t.wh["consumption"], -(t.wh["A"] - s.credited_wh().at("A")) - t.wh["B"] - t.wh["C"] - t.wh["D"]);
}

TEST(Settlement, RefusesABadConfig) {
    EXPECT_THROW(settlement{cfg({{"E", 1}})}, std::invalid_argument);
    EXPECT_THROW(settlement{cfg({{"A", 0}})}, std::invalid_argument);
    EXPECT_THROW(settlement{cfg({{"A", -1}, {"B", 2}})}, std::invalid_argument);
    settlement_config c = cfg();
    c.nominal_w[2] = 0;
    EXPECT_THROW(settlement{c}, std::invalid_argument);
    c = cfg();
    c.battery_capacity_wh = -5;
    EXPECT_THROW(settlement{c}, std::invalid_argument);
}

TEST(Settlement, OddReadingsAreAbsentNotFatal) {
    settlement s(cfg({{"A", 1}}));
    s.on_reading(in(0, 50, std::nan(""), {-1.0, std::numeric_limits<double>::infinity(), 5.0, 5.0}));
    auto ds = s.on_reading(in(10'000, 50, -3, {1.0, 1.0, 6.0, 5.0}));
    for (const auto& d : ds) EXPECT_EQ(check(d), std::nullopt);
    EXPECT_EQ(postings_of(*find(ds, entry_kind::consumption_debit)),
              (std::map<std::string, std::int64_t>{{"C", -1}, {"consumption", 1}}));
}

TEST(MarketShares, ParsesTheDefaultAndThePool) {
    auto p = parse_market_shares("A:25,B:25,C:25,D:25");
    ASSERT_TRUE(p.value) << p.error;
    EXPECT_EQ(*p.value, (std::map<std::string, int>{{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}}));
    auto q = parse_market_shares(" A:30, B : 30 ,C:20,pool:20 ");
    ASSERT_TRUE(q.value) << q.error;
    EXPECT_EQ(*q.value, (std::map<std::string, int>{{"A", 30}, {"B", 30}, {"C", 20}, {"pool", 20}}));
}

TEST(MarketShares, NamesWhatIsWrong) {
    struct tc {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty"},
        {"A:25,E:25", "unknown holder 'E'"},
        {"A:25,A:25", "A named twice"},
        {"A:-1,B:2", "weight of A"},
        {"A:1.5", "weight of A"},
        {"A:", "weight of A"},
        {"A:2000000", "weight of A"},
        {"A25", "'A25' is not HOLDER:WEIGHT"},
        {"A:0,B:0", "sum to more than 0"},
        {"A:1,", "'' is not HOLDER:WEIGHT"},
        {"solar:5", "unknown holder 'solar'"},
    };
    for (const auto& c : cases) {
        auto p = parse_market_shares(c.text);
        EXPECT_FALSE(p.value) << c.text;
        EXPECT_NE(p.error.find(c.says), std::string::npos) << c.text << " -> " << p.error;
        EXPECT_EQ(p.error.rfind("MARKET_SHARES: ", 0), 0u) << p.error;
    }
}

TEST(HouseholdNominalW, OneNumberOrEveryHousehold) {
    auto one = parse_household_nominal_w("750.5");
    ASSERT_TRUE(one.value) << one.error;
    EXPECT_EQ(*one.value, (std::array<double, 4>{750.5, 750.5, 750.5, 750.5}));
    auto each = parse_household_nominal_w("A:500, B:800 ,C:500,D:1200");
    ASSERT_TRUE(each.value) << each.error;
    EXPECT_EQ(*each.value, (std::array<double, 4>{500, 800, 500, 1200}));
}

TEST(HouseholdNominalW, NamesWhatIsWrong) {
    struct tc {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty"},
        {"0", "'0' is not a power"},
        {"-5", "'-5' is not a power"},
        {"lots", "'lots' is not a power"},
        {"inf", "'inf' is not a power"},
        {"2e6", "'2e6' is not a power"},
        {"A:500,B:800", "C missing"},
        {"A:500,A:600,C:1,D:1", "A named twice"},
        {"A:500,B:x,C:1,D:1", "power of B"},
        {"A:500,E:1,C:1,D:1", "unknown household 'E'"},
        {"A:500,800,C:1,D:1", "'800' is not HOUSEHOLD:W"},
    };
    for (const auto& c : cases) {
        auto p = parse_household_nominal_w(c.text);
        EXPECT_FALSE(p.value) << c.text;
        EXPECT_NE(p.error.find(c.says), std::string::npos) << c.text << " -> " << p.error;
    }
}
