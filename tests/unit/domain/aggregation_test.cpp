// The roll-up arithmetic (pure), the scheduler's clock, the history service's
// retention policy (with a fake store), and plain number formatting.
#include "app/aggregation_scheduler.hpp"
#include "domain/aggregation.hpp"
#include "domain/history.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain;
using namespace std::chrono_literals;

namespace {

time_point at(const char* iso) { return *parse_iso8601(iso); }

timed_reading r(time_point t, double w, int soc = 50, double lux = 0) { return {t, {soc, w, lux}}; }

TEST(Trapezoid, ConstantPowerForAnHourIsThatManyWattHours) {
    auto h = at("2025-11-30T10:00:00Z");
    std::vector<timed_reading> rs;
    for (int s = 0; s <= 3600; s += 60) rs.push_back(r(h + std::chrono::seconds(s), 250));
    EXPECT_NEAR(trapezoid_wh(rs, h, h + 1h, 300s), 250.0, 1e-9);
}

TEST(Trapezoid, ALinearRampIsIntegratedExactly) {
    auto h = at("2025-11-30T10:00:00Z");
    // 0 W → 600 W over 30 min: 300 W average × 0.5 h = 150 Wh.
    std::vector<timed_reading> rs = {r(h, 0), r(h + 10min, 200), r(h + 30min, 600)};
    EXPECT_NEAR(trapezoid_wh(rs, h, h + 1h, 1200s), 150.0, 1e-9);
}

TEST(Trapezoid, GapsLongerThanTheLimitCarryNoEnergy) {
    auto h = at("2025-11-30T10:00:00Z");
    std::vector<timed_reading> rs = {r(h, 100), r(h + 5min, 100), r(h + 5min + 301s, 100),
                                     r(h + 10min + 301s, 100)};
    // 5 min + (gap of 301 s skipped) + 5 min at 100 W.
    EXPECT_NEAR(trapezoid_wh(rs, h, h + 1h, 300s), 100.0 * 600 / 3600, 1e-9);
    // With a wider limit the gap is bridged.
    EXPECT_NEAR(trapezoid_wh(rs, h, h + 1h, 301s), 100.0 * 901 / 3600, 1e-9);
}

TEST(Trapezoid, SegmentsCrossingTheBucketEdgesAreSplitByInterpolation) {
    auto h = at("2025-11-30T10:00:00Z");
    std::vector<timed_reading> rs = {r(h - 60s, 0), r(h + 60s, 120), r(h + 1h - 30s, 120), r(h + 1h + 90s, 0)};
    // Before: 60→120 W over the first minute = 90 W × 60 s. Middle: 120 W for
    // 58.5 min. After: 120 → 90 W over the last 30 s = 105 W × 30 s.
    double expected = (90.0 * 60 + 120.0 * (3600 - 90) + 105.0 * 30) / 3600;
    EXPECT_NEAR(trapezoid_wh(rs, h, h + 1h, 3600s), expected, 1e-9);
    // The neighbours get the rest: the three buckets add up to the whole.
    double whole = trapezoid_wh(rs, h - 1h, h + 2h, 3600s);
    double parts = trapezoid_wh(rs, h - 1h, h, 3600s) + expected + trapezoid_wh(rs, h + 1h, h + 2h, 3600s);
    EXPECT_NEAR(parts, whole, 1e-9);
}

TEST(Summarize, StatisticsOnlyFromReadingsInsideTheBucket) {
    auto h = at("2025-11-30T10:00:00Z");
    std::vector<timed_reading> rs = {r(h - 1s, 999, 99, 9999), r(h, 10, 40, 100), r(h + 30min, 30, 60, 300),
                                     r(h + 1h, 999, 1, 9999)};
    auto s = summarize(rs, h, 1h, gap_rule{3600s, 3600s});
    ASSERT_TRUE(s);
    EXPECT_EQ(s->start, h);
    EXPECT_EQ(s->samples, 2);
    EXPECT_DOUBLE_EQ(s->soc_avg, 50);
    EXPECT_EQ(s->soc_min, 40);
    EXPECT_EQ(s->soc_max, 60);
    EXPECT_DOUBLE_EQ(s->solar_w_avg, 20);
    EXPECT_DOUBLE_EQ(s->solar_w_max, 30);
    EXPECT_DOUBLE_EQ(s->lux_avg, 200);
    EXPECT_DOUBLE_EQ(s->lux_max, 300);
    EXPECT_FALSE(summarize(rs, h + 2h, 1h, gap_rule{}));
}

TEST(Combine, WeightsAveragesBySamplesAndAddsEnergy) {
    bucket_summary a{at("2025-11-30T10:00:00Z"), 1, 10, 10, 10, 100, 100, 5, 1000, 1000};
    bucket_summary b{at("2025-11-30T11:00:00Z"), 3, 50, 40, 60, 200, 300, 7, 3000, 4000};
    std::vector<bucket_summary> parts{a, b};
    auto d = combine(parts, at("2025-11-30T00:00:00Z"));
    EXPECT_EQ(d.samples, 4);
    EXPECT_DOUBLE_EQ(d.soc_avg, 40);
    EXPECT_EQ(d.soc_min, 10);
    EXPECT_EQ(d.soc_max, 60);
    EXPECT_DOUBLE_EQ(d.solar_w_avg, 175);
    EXPECT_DOUBLE_EQ(d.solar_w_max, 300);
    EXPECT_DOUBLE_EQ(d.solar_wh, 12);
    EXPECT_DOUBLE_EQ(d.lux_avg, 2500);
    EXPECT_DOUBLE_EQ(d.lux_max, 4000);
}

TEST(Buckets, FloorsAndFinality) {
    EXPECT_EQ(floor_hour(at("2025-11-30T10:59:59.999Z")), at("2025-11-30T10:00:00Z"));
    EXPECT_EQ(floor_hour(at("1969-12-31T23:30:00Z")), at("1969-12-31T23:00:00Z"));
    EXPECT_EQ(floor_day(at("2025-11-30T23:59:00Z"), 0h), at("2025-11-30T00:00:00Z"));
    EXPECT_EQ(floor_day(at("2025-11-30T15:00:00Z"), 9h), at("2025-12-01T00:00:00+09:00"));
    EXPECT_EQ(floor_day(at("2025-11-30T14:59:59Z"), 9h), at("2025-11-30T00:00:00+09:00"));
    EXPECT_EQ(floor_day(at("2025-11-30T03:00:00Z"), -5h), at("2025-11-29T00:00:00-05:00"));

    auto h = at("2025-11-30T10:00:00Z");
    EXPECT_FALSE(is_final_hour(h, h + 1h + 299s, 300s));
    EXPECT_TRUE(is_final_hour(h, h + 1h + 300s, 300s));
    EXPECT_EQ(first_open_hour(h + 1h + 299s, 300s), h);
    EXPECT_EQ(first_open_hour(h + 1h + 300s, 300s), h + 1h);
}

TEST(Scheduler, RunsAtMinuteZeroAndWhenTheLastHourBecomesFinal) {
    auto h = at("2025-11-30T10:00:00Z");
    EXPECT_EQ(app::next_aggregation_run(h - 1s, 300s), h);
    EXPECT_EQ(app::next_aggregation_run(h, 300s), h + 300s);
    EXPECT_EQ(app::next_aggregation_run(h + 299s, 300s), h + 300s);
    EXPECT_EQ(app::next_aggregation_run(h + 300s, 300s), h + 1h);
    EXPECT_EQ(app::next_aggregation_run(h + 10s, 3600s), h + 1h);
}

// Issue 11 A8: constant readings every `step` over [from, to), minus [hole_from, hole_to).
std::vector<timed_reading> every(std::chrono::seconds step, time_point from, time_point to, double w = 600,
                                 time_point hole_from = {}, time_point hole_to = {}) {
    std::vector<timed_reading> rs;
    for (auto t = from; t < to; t += step)
        if (t < hole_from || t >= hole_to) rs.push_back(r(t, w));
    return rs;
}

TEST(GapRule, LimitAdaptsToTheDeviceBetweenMaxGapAndBridgeMax) {
    gap_rule g;  // 300 s always, 7200 s never beyond, 3 x the typical interval in between
    EXPECT_EQ(g.margin(), 7200s);
    EXPECT_EQ(g.limit(0s), 300s);       // too few readings to say: the fixed limit
    EXPECT_EQ(g.limit(2s), 300s);       // a fast device: short gaps only
    EXPECT_EQ(g.limit(600s), 1800s);    // every 10 min: two missed reports still bridged
    EXPECT_EQ(g.limit(3000s), 7200s);   // never beyond bridge_max
    EXPECT_EQ(g.limit(std::chrono::duration_cast<clock::duration>(std::chrono::hours(1000000))), 7200s);
    gap_rule fixed{300s, 300s};         // AGGREGATE_BRIDGE_MAX_S = AGGREGATE_MAX_GAP_S: the old rule
    EXPECT_EQ(fixed.limit(600s), 300s);
    EXPECT_EQ(fixed.margin(), 300s);
}

TEST(GapRule, TypicalIntervalIsTheLowerMedianSpacingInsideTheRange) {
    auto h = at("2025-11-30T10:00:00Z");
    std::vector<timed_reading> rs = {r(h - 1h, 0), r(h, 0),         r(h + 10s, 0), r(h + 10s, 0),
                                     r(h + 30s, 0), r(h + 60s, 0), r(h + 3h, 0)};
    // Inside [h, h + 1h]: spacings 10, (0 skipped), 20, 30 s -> 20 s.
    EXPECT_EQ(typical_interval(rs, h, h + 1h), 20s);
    // Spacings 10, 20, 30, 3h - 60s: the lower of the two middle ones.
    EXPECT_EQ(typical_interval(rs, h, h + 3h), 20s);
    EXPECT_EQ(typical_interval(rs, h + 2h, h + 4h), 0s);  // one reading: nothing to measure
}

// The defect: 600 W every 10 minutes rolled up to 10 Wh, since no 600 s gap
// was bridged with AGGREGATE_MAX_GAP_S = 300.
TEST(SparseSampling, TenMinuteReadingsOfAConstantPowerGiveTheFullHour) {
    auto h = at("2025-11-30T10:00:00Z");
    auto rs = every(600s, h - 3h, h + 4h);
    auto s = summarize(rs, h, 1h, gap_rule{});
    ASSERT_TRUE(s);
    EXPECT_EQ(s->samples, 6);
    EXPECT_NEAR(s->solar_wh, 600.0, 1e-9);
    ASSERT_TRUE(s->coverage_s);
    EXPECT_NEAR(*s->coverage_s, 3600.0, 1e-9);
    // Readings off the hour grid too: every 10 min from 10:07.
    auto shifted = every(600s, h - 3h + 7min, h + 4h);
    auto t = summarize(shifted, h, 1h, gap_rule{});
    ASSERT_TRUE(t);
    EXPECT_NEAR(t->solar_wh, 600.0, 1e-9);
    EXPECT_NEAR(*t->coverage_s, 3600.0, 1e-9);
}

TEST(SparseSampling, OneOrTwoMissedReportsAreBridgedThreeAreNot) {
    auto h = at("2025-11-30T10:00:00Z");
    // 10:20 and 10:30 missing: a 30 min gap, 3 x the 10 min interval.
    auto two = summarize(every(600s, h - 3h, h + 4h, 600, h + 20min, h + 40min), h, 1h, gap_rule{});
    ASSERT_TRUE(two);
    EXPECT_NEAR(*two->coverage_s, 3600.0, 1e-9);
    EXPECT_NEAR(two->solar_wh, 600.0, 1e-9);
    // 10:20, 10:30 and 10:40 missing: a 40 min hole stays a hole.
    auto three = summarize(every(600s, h - 3h, h + 4h, 600, h + 20min, h + 50min), h, 1h, gap_rule{});
    ASSERT_TRUE(three);
    EXPECT_NEAR(*three->coverage_s, 3600.0 - 2400, 1e-9);
    EXPECT_NEAR(three->solar_wh, 600.0 * 1200 / 3600, 1e-9);
}

TEST(SparseSampling, AThreeHourOutageOfATenMinuteDeviceIsNotBridged) {
    auto h = at("2025-11-30T10:00:00Z");
    // Every 10 min, offline from 10:30 to 13:30 (last reading 10:20, next 13:30).
    auto rs = every(600s, h - 3h, h + 7h, 600, h + 30min, h + 3h + 30min);
    auto first = summarize(rs, h, 1h, gap_rule{});
    ASSERT_TRUE(first);
    EXPECT_NEAR(*first->coverage_s, 1200.0, 1e-9);  // 10:00 - 10:20
    EXPECT_NEAR(first->solar_wh, 200.0, 1e-9);
    for (auto k : {1h, 2h}) EXPECT_FALSE(summarize(rs, h + k, 1h, gap_rule{}));  // no readings, no row
    auto back = summarize(rs, h + 3h, 1h, gap_rule{});
    ASSERT_TRUE(back);
    EXPECT_NEAR(*back->coverage_s, 1800.0, 1e-9);  // 13:30 - 14:00
    EXPECT_NEAR(back->solar_wh, 300.0, 1e-9);
    // Even with a device that reports only every 90 minutes (limit 2 h),
    // 3 h without a reading is never bridged.
    auto slow = every(5400s, h - 6h, h + 9h, 600, h + 30min, h + 3h);  // … 08:30, 10:00, then 13:00
    auto s = summarize(slow, h, 1h, gap_rule{});
    ASSERT_TRUE(s);
    EXPECT_NEAR(*s->coverage_s, 0.0, 1e-9);
}

TEST(SparseSampling, AThreeHourHoleInTwoSecondReadingsIsNotBridged) {
    auto h = at("2025-11-30T10:00:00Z");
    // Every 2 s; nothing from 10:20 to 13:20.
    auto rs = every(2s, h - 2h, h + 6h, 600, h + 20min, h + 3h + 20min);
    auto s = summarize(rs, h, 1h, gap_rule{});
    ASSERT_TRUE(s);
    EXPECT_EQ(s->samples, 600);
    EXPECT_NEAR(*s->coverage_s, 1200.0 - 2, 1e-9);  // 10:00:00 - 10:19:58
    EXPECT_NEAR(s->solar_wh, 600.0 * 1198 / 3600, 1e-9);
    EXPECT_FALSE(summarize(rs, h + 1h, 1h, gap_rule{}));
    auto back = summarize(rs, h + 3h, 1h, gap_rule{});
    ASSERT_TRUE(back);
    EXPECT_NEAR(*back->coverage_s, 2400.0, 1e-9);
    // A 20 min hole of a 2 s device is not bridged either (only max_gap is),
    // but a 4 min one is.
    auto short_holes = every(2s, h - 2h, h + 3h, 600, h + 10min, h + 30min);
    auto few = every(2s, h + 40min, h + 3h, 600, h + 44min, h + 48min);
    short_holes.erase(std::remove_if(short_holes.begin(), short_holes.end(),
                                     [&](const timed_reading& x) { return x.at >= h + 40min; }),
                      short_holes.end());
    short_holes.insert(short_holes.end(), few.begin(), few.end());
    auto m = summarize(short_holes, h, 1h, gap_rule{});
    ASSERT_TRUE(m);
    EXPECT_NEAR(*m->coverage_s, 3600.0 - (1200 + 2), 1e-9);
}

TEST(SparseSampling, ReadingsBeyondTheMarginDoNotChangeAnHour) {
    auto h = at("2025-11-30T10:00:00Z");
    // Every 10 min around the hour, then (more than 2 h away) a burst of 1 s
    // readings that would pull the median down if it were counted.
    auto rs = every(600s, h - 2h, h + 3h + 10min);
    auto burst = every(1s, h + 3h + 10min, h + 6h);
    auto wide = rs;
    wide.insert(wide.end(), burst.begin(), burst.end());
    auto a = summarize(rs, h, 1h, gap_rule{});
    auto b = summarize(wide, h, 1h, gap_rule{});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_NEAR(*b->coverage_s, 3600.0, 1e-9);
}

TEST(Combine, CoverageAddsUpAndIsUnknownIfAnyHourIsUnknown) {
    bucket_summary a{at("2025-11-30T10:00:00Z"), 1, 10, 10, 10, 100, 100, 5, 1000, 1000, 3600.0};
    bucket_summary b{at("2025-11-30T11:00:00Z"), 3, 50, 40, 60, 200, 300, 7, 3000, 4000, 1200.5};
    std::vector<bucket_summary> parts{a, b};
    auto d = combine(parts, at("2025-11-30T00:00:00Z"));
    ASSERT_TRUE(d.coverage_s);
    EXPECT_DOUBLE_EQ(*d.coverage_s, 4800.5);
    parts[0].coverage_s.reset();  // rolled up before coverage was recorded
    EXPECT_FALSE(combine(parts, at("2025-11-30T00:00:00Z")).coverage_s);
}

TEST(Buckets, FinalityWaitsForTheBridgingMargin) {
    auto h = at("2025-11-30T10:00:00Z");
    const auto margin = gap_rule{}.margin();  // 2 h
    EXPECT_FALSE(is_final_hour(h, h + 3h - 1s, margin));
    EXPECT_TRUE(is_final_hour(h, h + 3h, margin));
    EXPECT_EQ(first_open_hour(h + 3h - 1s, margin), h);
    EXPECT_EQ(first_open_hour(h + 3h, margin), h + 1h);
    // Whole-hour margins: once an hour, at minute 0; others at minute 0 and
    // minute 0 + (margin mod 1 h).
    EXPECT_EQ(app::next_aggregation_run(h + 10s, margin), h + 1h);
    EXPECT_EQ(app::next_aggregation_run(h + 10s, 7500s), h + 300s);
    EXPECT_EQ(app::next_aggregation_run(h + 300s, 7500s), h + 1h);
}

// A store whose roll-up of one hour fails: nothing may be deleted then.
class fake_store final : public history_store {
public:
    std::vector<time_point> hours;
    std::optional<time_point> failing;
    std::vector<time_point> rolled;
    std::optional<time_point> deleted_before;

    asio::awaitable<std::vector<stored_reading>> raw(time_point, time_point, std::size_t) override {
        co_return std::vector<stored_reading>{};
    }
    asio::awaitable<std::vector<bucket_summary>> hourly(time_point, time_point, std::size_t) override {
        co_return std::vector<bucket_summary>{};
    }
    asio::awaitable<std::vector<time_point>> unrolled_hours(time_point before) override {
        std::vector<time_point> out;
        for (auto h : hours)
            if (h < before) out.push_back(h);
        co_return out;
    }
    asio::awaitable<bool> roll_up_hour(time_point start, gap_rule, time_point) override {
        if (failing && *failing == start) throw storage_unavailable("lost connection");
        rolled.push_back(start);
        co_return true;
    }
    asio::awaitable<std::size_t> delete_raw_before(time_point cutoff) override {
        deleted_before = cutoff;
        co_return 7;
    }
};

template <class T>
T run(asio::awaitable<T> a) {
    asio::io_context ioc;
    auto f = asio::co_spawn(ioc, std::move(a), asio::use_future);
    ioc.run();
    return f.get();
}

TEST(Retention, NothingIsDeletedWhenAnHourCouldNotBeRolledUp) {
    auto now = at("2025-12-10T12:30:00Z");
    fake_store store;
    store.hours = {now - 10 * 24h - 2h, now - 10 * 24h - 1h, now - 4h, now - 30min};
    store.failing = store.hours[1];
    history_service svc(store, {});
    EXPECT_THROW(run(svc.aggregate(now)), storage_unavailable);
    EXPECT_EQ(store.rolled.size(), 1u);
    EXPECT_FALSE(store.deleted_before);

    store.failing.reset();
    auto report = run(svc.aggregate(now));
    EXPECT_EQ(report.rolled_up, 3);  // the fake does not remember: all three final hours again
    EXPECT_EQ(report.waiting, 1);
    ASSERT_TRUE(store.deleted_before);
    EXPECT_EQ(*store.deleted_before, now - 7 * 24h);
    EXPECT_EQ(report.raw_deleted, 7u);
}

TEST(Retention, ZeroDaysKeepsRawReadingsForever) {
    fake_store store;
    history_settings s;
    s.aggregation.raw_retention_days = 0;
    history_service svc(store, s);
    run(svc.aggregate(at("2025-12-10T12:30:00Z")));
    EXPECT_FALSE(store.deleted_before);
}


}  // namespace
