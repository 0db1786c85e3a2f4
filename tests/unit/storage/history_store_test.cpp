// The hourly roll-up (aggregate_old_data), retention and history queries
// through the real SQL store, against both backends. Expected values are
// computed here independently of src/domain/aggregation.cpp.
#include "domain/history.hpp"
#include "storage/sql_history_store.hpp"
#include "storage/sql_stores.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>

using namespace solgrid;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using test_support::backend;
using test_support::run;

namespace {

domain::time_point at(const char* iso) { return *domain::parse_iso8601(iso); }

// A day of readings about every 60 s (jittered by whole milliseconds),
// a daylight curve for solar_w, and a 25-minute hole in hour 13.
std::vector<domain::timed_reading> a_day_of_readings(domain::time_point day) {
    std::vector<domain::timed_reading> out;
    std::uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
    for (auto t = day + 7s; t < day + 24h; t += 60s) {
        auto when = t + std::chrono::milliseconds(next() % 20000);
        double hours = std::chrono::duration<double>(when - day).count() / 3600.0;
        if (hours >= 13 + 20.0 / 60 && hours < 13 + 45.0 / 60) continue;
        double sun = std::max(0.0, std::sin(M_PI * (hours - 6) / 12));
        domain::reading r;
        r.solar_w = std::round(sun * 800.0 * 10 + (next() % 50)) / 10.0;
        r.lux = std::round(sun * 90000.0);
        r.soc = static_cast<int>(40 + 50 * sun) + static_cast<int>(next() % 3);
        out.push_back({when, r});
    }
    return out;
}

// Independent energy: the midpoint rule over the piecewise-linear power curve
// (segments longer than max_gap carry nothing), in 20 ms steps: off by at
// most 10 ms × 800 W at each edge of a hole, about 0.002 Wh.
double midpoint_wh(const std::vector<domain::timed_reading>& rs, domain::time_point from, domain::time_point to,
                   std::chrono::seconds max_gap) {
    const double step = 0.02;
    double total_ws = 0;
    std::size_t k = 0;
    double span = std::chrono::duration<double>(to - from).count();
    for (double x = step / 2; x < span; x += step) {
        auto t = from + std::chrono::duration_cast<domain::clock::duration>(std::chrono::duration<double>(x));
        while (k + 1 < rs.size() && rs[k + 1].at <= t) ++k;
        if (k + 1 >= rs.size() || rs[k].at > t) continue;
        const auto& a = rs[k];
        const auto& b = rs[k + 1];
        if (b.at - a.at > max_gap) continue;
        double f = std::chrono::duration<double>(t - a.at).count() / std::chrono::duration<double>(b.at - a.at).count();
        total_ws += (a.value.solar_w + (b.value.solar_w - a.value.solar_w) * f) * step;
    }
    return total_ws / 3600.0;
}

void store_readings(asio::io_context& ioc, storage::database& db, const std::vector<domain::timed_reading>& rs) {
    storage::sql_reading_store store(db);
    int done = 0;
    for (const auto& r : rs)
        asio::co_spawn(
            ioc,
            [&store, &done, r]() -> asio::awaitable<void> {
                co_await store.append(r.value, r.at);
                ++done;
            },
            asio::detached);
    ioc.restart();
    ioc.run();
    ASSERT_EQ(done, static_cast<int>(rs.size()));
}

long long count_rows(asio::io_context& ioc, storage::database& db, const std::string& sql) {
    return run(ioc, db.read<long long>([sql](soci::session& s) {
        long long n = 0;
        s << sql, soci::into(n);
        return n;
    }));
}

class History : public test_support::backend_test {
protected:
    storage::sql_history_store& store() {
        if (!store_) store_ = std::make_unique<storage::sql_history_store>(db());
        return *store_;
    }
    domain::history_service service(domain::history_settings s = {}) { return domain::history_service(store(), s); }

    std::unique_ptr<storage::sql_history_store> store_;
};

TEST_P(History, ADayOfReadingsRollsUpInto24HoursWhoseEnergyMatchesAnIndependentCalculation) {
    const auto day = at("2025-11-30T00:00:00Z");
    const auto readings = a_day_of_readings(day);
    store_readings(ioc_, db(), readings);
    auto history = service();
    const auto gap = history.settings().aggregation.max_gap;

    auto report = run(ioc_, history.aggregate(day + 48h));
    EXPECT_EQ(report.rolled_up, 24);
    EXPECT_EQ(report.already_done, 0);
    EXPECT_EQ(report.waiting, 0);

    auto rows = run(ioc_, store().hourly(day, day + 23h, 100));
    ASSERT_EQ(rows.size(), 24u);
    double sum_wh = 0;
    for (int h = 0; h < 24; ++h) {
        const auto start = day + std::chrono::hours(h);
        const auto& row = rows[static_cast<std::size_t>(h)];
        EXPECT_EQ(row.start, start);
        long long n = 0;
        double soc = 0, w = 0, lux = 0, w_max = 0, lux_max = 0;
        int soc_min = 1000, soc_max = -1;
        for (const auto& r : readings) {
            if (r.at < start || r.at >= start + 1h) continue;
            ++n;
            soc += r.value.soc;
            w += r.value.solar_w;
            lux += r.value.lux;
            soc_min = std::min(soc_min, r.value.soc);
            soc_max = std::max(soc_max, r.value.soc);
            w_max = std::max(w_max, r.value.solar_w);
            lux_max = std::max(lux_max, r.value.lux);
        }
        EXPECT_EQ(row.samples, n) << "hour " << h;
        EXPECT_NEAR(row.soc_avg, soc / double(n), 1e-9) << "hour " << h;
        EXPECT_EQ(row.soc_min, soc_min);
        EXPECT_EQ(row.soc_max, soc_max);
        EXPECT_NEAR(row.solar_w_avg, w / double(n), 1e-9);
        EXPECT_DOUBLE_EQ(row.solar_w_max, w_max);
        EXPECT_NEAR(row.lux_avg, lux / double(n), 1e-6);
        EXPECT_DOUBLE_EQ(row.lux_max, lux_max);
        EXPECT_NEAR(row.solar_wh, midpoint_wh(readings, start, start + 1h, gap), 0.005) << "hour " << h;
        sum_wh += row.solar_wh;
    }
    // The whole day by the plain trapezoid rule (no clipping needed: the
    // readings all lie inside the day) equals the sum of the hours.
    double day_ws = 0;
    for (std::size_t i = 1; i < readings.size(); ++i) {
        auto dt = readings[i].at - readings[i - 1].at;
        if (dt > gap) continue;
        day_ws += (readings[i].value.solar_w + readings[i - 1].value.solar_w) / 2 *
                  std::chrono::duration<double>(dt).count();
    }
    EXPECT_NEAR(sum_wh, day_ws / 3600.0, 1e-6);
    EXPECT_GT(sum_wh, 1000.0);  // a sunny day: the curve is not empty
    // The hole in hour 13 carries no energy: less than its neighbours.
    EXPECT_LT(rows[13].solar_wh, rows[12].solar_wh);

    // Idempotent: a second run finds nothing to do and changes nothing.
    auto again = run(ioc_, history.aggregate(day + 49h));
    EXPECT_EQ(again.rolled_up, 0);
    EXPECT_EQ(again.already_done, 0);
    EXPECT_EQ(run(ioc_, store().hourly(day, day + 23h, 100)), rows);
    EXPECT_EQ(count_rows(ioc_, db(), "SELECT COUNT(*) FROM sun_data_hourly"), 24);
}

TEST_P(History, OnlyFinalHoursAreRolledUpAndTheNextReadingBridgesIntoTheHour) {
    const auto h = at("2025-11-30T10:00:00Z");
    std::vector<domain::timed_reading> rs = {
        {h + 10min, {50, 100, 1}}, {h + 50min, {51, 100, 1}},  // 40 min: 5 x the typical 8 min, a hole
        {h + 58min, {52, 100, 1}},                              // 8 min: the typical interval, joined
        {h + 62min, {53, 200, 1}},  // crosses the hour at 1/2 way: 150 W there
    };
    store_readings(ioc_, db(), rs);
    auto history = service();
    // Final once AGGREGATE_BRIDGE_MAX_S (2 h) has passed after the hour: a
    // later reading could bridge into it or change the device's typical interval.
    auto early = run(ioc_, history.aggregate(h + 3h - 1s));
    EXPECT_EQ(early.rolled_up, 0);
    EXPECT_EQ(early.waiting, 2);  // hour 10 (not final for 1 more s) and hour 11
    auto later = run(ioc_, history.aggregate(h + 3h));
    EXPECT_EQ(later.rolled_up, 1);
    EXPECT_EQ(later.waiting, 1);
    auto rows = run(ioc_, store().hourly(h, h + 1h, 10));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].samples, 3);
    // 10:50→10:58 at 100 W, and the first half of 10:58→11:02, from 100 W
    // to 150 W at 11:00: 125 W × 120 s.
    EXPECT_NEAR(rows[0].solar_wh, (100.0 * 480 + 125.0 * 120) / 3600, 1e-9);
    ASSERT_TRUE(rows[0].coverage_s);
    EXPECT_NEAR(*rows[0].coverage_s, 600.0, 1e-9);
}

// Issue 11 A8: 600 W every 10 minutes rolled up to 10 Wh (no 600 s gap was
// bridged); a device offline for 3 hours must not be bridged either.
TEST_P(History, TenMinuteReadingsRollUpToTheFullHourAndAnOutageStaysAHole) {
    const auto h = at("2025-11-30T10:00:00Z");
    std::vector<domain::timed_reading> rs;
    // Every 10 min from 07:00; offline from 12:30 to 15:30; every 10 min until 19:00.
    for (auto t = h - 3h; t < h + 9h; t += 10min)
        if (t < h + 2h + 30min || t >= h + 5h + 30min) rs.push_back({t, {70, 600, 1000}});
    store_readings(ioc_, db(), rs);
    auto history = service();
    auto report = run(ioc_, history.aggregate(h + 12h));
    EXPECT_EQ(report.rolled_up, 10);  // 07-12 and 15-19: the three hours offline have no reading
    auto rows = run(ioc_, store().hourly(h - 3h, h + 9h, 100));
    ASSERT_EQ(rows.size(), 10u);
    for (const auto& row : rows) {
        ASSERT_TRUE(row.coverage_s);
        const auto hour = row.start;
        // A full hour, except the last one before the outage (12:00-12:20),
        // the first one after it (15:30-16:00) and the last one (no reading after 18:50).
        double want = hour == h + 2h ? 1200 : hour == h + 5h ? 1800 : hour == h + 8h ? 3000 : 3600;
        EXPECT_NEAR(*row.coverage_s, want, 1e-9) << domain::to_iso8601(hour);
        EXPECT_NEAR(row.solar_wh, 600.0 * want / 3600, 1e-9) << domain::to_iso8601(hour);
    }
    EXPECT_NEAR(rows[3].solar_wh, 600.0, 1e-9);  // 10:00-11:00: the defect's hour, 600 Wh not 10
    // The history API's buckets carry the same, and a day sums its hours.
    auto day = run(ioc_, history.query({domain::resolution::day, h - 3h, h + 9h}, h + 12h));
    ASSERT_EQ(day.buckets.size(), 1u);
    ASSERT_TRUE(day.buckets[0].coverage_s);
    EXPECT_NEAR(*day.buckets[0].coverage_s, 7 * 3600.0 + 1200 + 1800 + 3000, 1e-9);
}

// The same rule for the hours computed on the fly: a 2 s device's 3 h hole.
TEST_P(History, AThreeHourHoleInTwoSecondReadingsIsNotBridgedOnTheFlyNorInTheRollUp) {
    const auto h = at("2025-11-30T10:00:00Z");
    const auto now = h + 3h + 40min;  // hours 10-13 are not final yet: computed on the fly
    std::vector<domain::timed_reading> rs;
    for (auto t = h - 1h; t < now; t += 2s)
        if (t < h + 20min || t >= h + 3h + 20min) rs.push_back({t, {70, 360, 1000}});
    store_readings(ioc_, db(), rs);
    auto history = service();
    auto live = run(ioc_, history.query({domain::resolution::hour, h, now}, now));
    ASSERT_EQ(live.buckets.size(), 2u);  // 10 and 13: nothing in between
    run(ioc_, history.aggregate(h + 7h));
    auto stored = run(ioc_, store().hourly(h, now, 10));
    ASSERT_EQ(stored.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(live.buckets[i].start, stored[i].start);
        EXPECT_NEAR(live.buckets[i].solar_wh, stored[i].solar_wh, 1e-9);
        EXPECT_EQ(live.buckets[i].coverage_s, stored[i].coverage_s);
        ASSERT_TRUE(stored[i].coverage_s);
        // 10:00:00-10:19:58 and 13:20:00-13:39:58
        EXPECT_NEAR(*stored[i].coverage_s, 1200.0 - 2, 1e-9);
        EXPECT_NEAR(stored[i].solar_wh, 360.0 * 1198 / 3600, 1e-9);
    }
    EXPECT_EQ(stored[1].start, h + 3h);
}

TEST_P(History, RetentionDeletesOldRawReadingsAfterTheirHourIsRolledUp) {
    const auto now = at("2025-12-10T12:30:00Z");
    std::vector<domain::timed_reading> rs;
    for (int i = 0; i < 30; ++i) rs.push_back({now - 10 * 24h + std::chrono::minutes(i * 4), {60, 10, 100}});
    for (int i = 0; i < 5; ++i) rs.push_back({now - 20min + std::chrono::minutes(i), {61, 20, 200}});
    store_readings(ioc_, db(), rs);
    domain::history_settings s;
    s.aggregation.raw_retention_days = 7;
    auto history = service(s);
    auto report = run(ioc_, history.aggregate(now));
    EXPECT_EQ(report.rolled_up, 3);  // 12:30–14:26, ten days ago
    EXPECT_EQ(report.waiting, 1);    // the current hour
    EXPECT_EQ(report.raw_deleted, 30u);
    EXPECT_EQ(count_rows(ioc_, db(), "SELECT COUNT(*) FROM sun_data_realtime"), 5);
    EXPECT_EQ(count_rows(ioc_, db(), "SELECT COUNT(*) FROM sun_data_hourly"), 3);
    EXPECT_EQ(count_rows(ioc_, db(), "SELECT SUM(samples) FROM sun_data_hourly"), 30);
    // Nothing left to do, nothing more deleted.
    auto again = run(ioc_, history.aggregate(now));
    EXPECT_EQ(again.rolled_up + again.already_done, 0);
    EXPECT_EQ(again.raw_deleted, 0u);
}

TEST_P(History, RawQueriesAreInclusiveOrderedAndCapped) {
    const auto t0 = at("2025-11-30T10:00:00Z");
    std::vector<domain::timed_reading> rs;
    for (int i = 9; i >= 0; --i) rs.push_back({t0 + std::chrono::seconds(i * 10), {i, double(i), double(i) * 2}});
    store_readings(ioc_, db(), rs);
    auto mid = run(ioc_, store().raw(t0 + 20s, t0 + 50s, 100));
    ASSERT_EQ(mid.size(), 4u);
    for (std::size_t i = 0; i < mid.size(); ++i) {
        EXPECT_EQ(mid[i].at, t0 + std::chrono::seconds(20 + 10 * i));
        EXPECT_EQ(mid[i].value.soc, static_cast<int>(2 + i));
        EXPECT_DOUBLE_EQ(mid[i].value.lux, 2.0 * (2 + i));
    }
    EXPECT_EQ(run(ioc_, store().raw(t0, t0 + 1h, 3)).size(), 3u);

    domain::history_settings s;
    s.max_rows = 10;
    auto history = service(s);
    auto all = run(ioc_, history.query({domain::resolution::raw, t0, t0 + 90s}, t0 + 1h));
    EXPECT_EQ(all.raw.size(), 10u);
    store_readings(ioc_, db(), {{t0 + 95s, {1, 1, 1}}});
    EXPECT_THROW(run(ioc_, history.query({domain::resolution::raw, t0, t0 + 100s}, t0 + 1h)), domain::too_many_rows);
    EXPECT_THROW(run(ioc_, history.query({domain::resolution::hour, t0, t0 + 10h}, t0 + 1h)), domain::too_many_rows);
}

TEST_P(History, OpenHoursAreComputedOnTheFlyExactlyAsTheRollUpWillStoreThem) {
    const auto h = at("2025-11-30T10:00:00Z");
    std::vector<domain::timed_reading> rs;
    for (int m = 0; m < 170; m += 2) rs.push_back({h + std::chrono::minutes(m), {50 + m % 7, double(m), 1000.0 + m}});
    store_readings(ioc_, db(), rs);
    auto history = service();
    const auto now = h + 3h + 51min;  // hour 10 final since 13:00, 11 final at 14:00, 12 open
    run(ioc_, history.aggregate(h + 3h + 1s));  // rolls up hour 10 only
    auto page = run(ioc_, history.query({domain::resolution::hour, h, now}, now));
    ASSERT_EQ(page.buckets.size(), 3u);
    EXPECT_EQ(run(ioc_, store().hourly(h, now, 10)).size(), 1u);  // 11 and 12 were computed, not stored

    run(ioc_, history.aggregate(h + 5h + 1s));
    auto stored = run(ioc_, store().hourly(h, now, 10));
    ASSERT_EQ(stored.size(), 3u);
    // Hours 11 and 12 were stored as they were shown.
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(stored[i].start, page.buckets[i].start);
        EXPECT_EQ(stored[i].samples, page.buckets[i].samples);
        EXPECT_EQ(stored[i].soc_min, page.buckets[i].soc_min);
        EXPECT_NEAR(stored[i].solar_wh, page.buckets[i].solar_wh, 1e-9);
        EXPECT_NEAR(stored[i].lux_avg, page.buckets[i].lux_avg, 1e-9);
        EXPECT_EQ(stored[i].coverage_s, page.buckets[i].coverage_s);
    }
    EXPECT_GT(stored[1].solar_wh, 0.0);

    // Days combine hours: samples add up, energy adds up.
    auto days = run(ioc_, history.query({domain::resolution::day, h, now}, h + 6h));
    ASSERT_EQ(days.buckets.size(), 1u);
    EXPECT_EQ(days.buckets[0].start, at("2025-11-30T00:00:00Z"));
    EXPECT_EQ(days.buckets[0].samples, static_cast<long long>(rs.size()));
    EXPECT_NEAR(days.buckets[0].solar_wh, stored[0].solar_wh + stored[1].solar_wh + stored[2].solar_wh, 1e-9);
}

TEST_P(History, DaysStartAtTheConfiguredUtcOffset) {
    // 14:30 and 15:30 UTC are on different local days at UTC+9.
    const auto a = at("2025-11-30T14:30:00Z"), b = at("2025-11-30T15:30:00Z");
    store_readings(ioc_, db(), {{a, {10, 1, 1}}, {a + 1min, {20, 1, 1}}, {b, {30, 1, 1}}});
    domain::history_settings s;
    s.utc_offset = 9h;
    auto history = service(s);
    run(ioc_, history.aggregate(b + 2h));
    auto days = run(ioc_, history.query({domain::resolution::day, a, b}, b + 2h));
    ASSERT_EQ(days.buckets.size(), 2u);
    EXPECT_EQ(days.buckets[0].start, at("2025-11-30T00:00:00+09:00"));
    EXPECT_EQ(days.buckets[0].samples, 2);
    EXPECT_EQ(days.buckets[1].start, at("2025-12-01T00:00:00+09:00"));
    EXPECT_EQ(days.buckets[1].soc_min, 30);
    auto today = run(ioc_, history.day_so_far(b + 2h));
    ASSERT_TRUE(today);
    EXPECT_EQ(today->samples, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, History, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

// A database that several database objects open, one after the other or at
// once: a SQLite file (removed with its WAL afterwards) or a fresh MySQL one.
struct shared_database {
    storage::database_options options;
    std::unique_ptr<test_support::test_database> mysql;
    std::filesystem::path file;
    std::string problem;  // set when it could not be had

    shared_database(backend b, const std::string& name) {
        if (b == backend::mysql) {
            mysql = std::make_unique<test_support::test_database>(backend::mysql);
            if (!mysql->ok) problem = mysql->problem;
            options = mysql->options;
        } else {
            file = std::filesystem::temp_directory_path() / ("solgrid-" + name + "-" + std::to_string(::getpid()) + ".db");
            std::filesystem::remove(file);
            options.sqlite_path = file.string();
        }
    }
    ~shared_database() {
        if (!file.empty())
            for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    }
};

// Migration step 3 adds sun_data_hourly.coverage_s; hours rolled up before it
// keep NULL (unknown: their raw readings may be gone), read back as nullopt.
class HistoryMigration : public ::testing::TestWithParam<backend> {};

TEST_P(HistoryMigration, HoursRolledUpBeforeCoverageWasRecordedReadAsUnknown) {
    shared_database shared(GetParam(), "migrate");
    if (!shared.problem.empty()) FAIL() << shared.problem;
    const auto& o = shared.options;
    const auto h = at("2025-11-30T10:00:00Z");
    asio::io_context ioc;
    {
        // A database as version 2 left it: no coverage_s, one rolled-up hour.
        storage::database db(o);
        run(ioc, db.write_alone<int>([mysql = GetParam() == backend::mysql, hs = storage::to_db_time(h)](
                                         soci::session& s) {
            if (mysql) s << "ALTER TABLE sun_data_hourly DROP CONSTRAINT chk_hourly_coverage";
            s << "ALTER TABLE sun_data_hourly DROP COLUMN coverage_s";
            test_support::undo_market_orders_step(s, mysql);
            s << "UPDATE schema_version SET version = 2";
            std::string at = hs;
            s << "INSERT INTO sun_data_hourly (hour_start, samples, soc_avg, soc_min, soc_max, solar_w_avg,"
                 " solar_w_max, solar_wh, lux_avg, lux_max, created_at)"
                 " VALUES (:h, 12, 50, 40, 60, 100, 200, 95.5, 1000, 2000, :c)",
                soci::use(at), soci::use(hs);
            return 0;
        }));
        db.close();
    }
    {
        storage::database db(o);  // migrates to version 3
        storage::sql_history_store store(db);
        store_readings(ioc, db, {{h + 1h, {50, 100, 1}}, {h + 1h + 10min, {50, 100, 1}}});
        domain::history_service history(store, {});
        run(ioc, history.aggregate(h + 6h));
        auto rows = run(ioc, store.hourly(h, h + 1h, 10));
        ASSERT_EQ(rows.size(), 2u);
        EXPECT_EQ(rows[0].samples, 12);
        EXPECT_DOUBLE_EQ(rows[0].solar_wh, 95.5);
        EXPECT_FALSE(rows[0].coverage_s);  // unknown
        ASSERT_TRUE(rows[1].coverage_s);   // rolled up after the migration
        EXPECT_NEAR(*rows[1].coverage_s, 600.0, 1e-9);
        auto day = run(ioc, history.query({domain::resolution::day, h, h + 1h}, h + 6h));
        ASSERT_EQ(day.buckets.size(), 1u);
        EXPECT_FALSE(day.buckets[0].coverage_s);  // part of the day is unknown
        db.close();
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, HistoryMigration, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

// Two instances (two database objects, two writer threads, one database)
// aggregating the same day at the same moment: every hour is rolled up
// exactly once between them.
class HistoryTwoInstances : public ::testing::TestWithParam<backend> {};

TEST_P(HistoryTwoInstances, RollEveryHourUpExactlyOnce) {
    shared_database shared(GetParam(), "two");
    if (!shared.problem.empty()) FAIL() << shared.problem;
    const auto& o = shared.options;
    const auto day = at("2025-11-29T00:00:00Z");
    asio::io_context ioc;
    {
        storage::database one(o), two(o);
        store_readings(ioc, one, a_day_of_readings(day));
        storage::sql_history_store s1(one), s2(two);
        domain::history_service h1(s1, {}), h2(s2, {});
        domain::aggregation_report r1, r2;
        int finished = 0;
        auto go = [&](domain::history_service& h, domain::aggregation_report& out) {
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    out = co_await h.aggregate(day + 48h);
                    ++finished;
                },
                asio::detached);
        };
        go(h1, r1);
        go(h2, r2);
        ioc.restart();
        ioc.run();
        ASSERT_EQ(finished, 2);
        std::cout << "instance one rolled up " << r1.rolled_up << " hour(s), instance two " << r2.rolled_up
                  << " (found done: " << r1.already_done << " / " << r2.already_done << ")\n";
        EXPECT_EQ(r1.rolled_up + r2.rolled_up, 24);
        EXPECT_EQ(count_rows(ioc, one, "SELECT COUNT(*) FROM sun_data_hourly"), 24);
        EXPECT_EQ(count_rows(ioc, two, "SELECT COUNT(DISTINCT hour_start) FROM sun_data_hourly"), 24);
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, HistoryTwoInstances, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

}  // namespace
