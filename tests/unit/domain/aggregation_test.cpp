// The roll-up arithmetic (pure), the scheduler's clock, the history service's
// retention policy (with a fake store), and plain number formatting.
#include "app/aggregation_scheduler.hpp"
#include "domain/aggregation.hpp"
#include "domain/history.hpp"
#include "http/history_routes.hpp"

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
    auto s = summarize(rs, h, 1h, 3600s);
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
    EXPECT_FALSE(summarize(rs, h + 2h, 1h, 300s));
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
    asio::awaitable<bool> roll_up_hour(time_point start, std::chrono::seconds, time_point) override {
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
    store.hours = {now - 10 * 24h - 2h, now - 10 * 24h - 1h, now - 2h, now - 30min};
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

TEST(PlainNumber, NoExponentsEver) {
    EXPECT_EQ(http_api::plain_number(120), "120");
    EXPECT_EQ(http_api::plain_number(35000), "35000");
    EXPECT_EQ(http_api::plain_number(120.5), "120.5");
    EXPECT_EQ(http_api::plain_number(0.0001), "0.0001");
    EXPECT_EQ(http_api::plain_number(1e20), "100000000000000000000");
    EXPECT_EQ(http_api::plain_number(-0.0), "0");
    EXPECT_EQ(http_api::plain_number(85.0 / 3), "28.333333333333332");
}

}  // namespace
