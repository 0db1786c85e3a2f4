#include "domain/energy.hpp"
#include "domain/types.hpp"

#include <gtest/gtest.h>

#include <chrono>

using namespace solgrid::domain;

TEST(Iso8601, FormatsUtcWithMillisAndZone) {
    auto t = time_point{std::chrono::milliseconds(1764599128123)};
    EXPECT_EQ(to_iso8601(t), "2025-12-01T14:25:28.123Z");
}

TEST(Iso8601, ParsesZonesAndRoundTrips) {
    auto t = parse_iso8601("2025-12-01T14:25:28.123Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(to_iso8601(*t), "2025-12-01T14:25:28.123Z");
    auto k = parse_iso8601("2025-12-01T23:25:28.123+09:00");
    ASSERT_TRUE(k);
    EXPECT_EQ(*k, *t);
    EXPECT_TRUE(parse_iso8601("2025-12-01"));
    EXPECT_TRUE(parse_iso8601("2025-12-01 14:25:28.123456"));
}

TEST(Iso8601, RejectsGarbage) {
    for (auto s : {"", "yesterday", "2025-13-01", "2025-02-30", "2025-12-01T25:00", "2025-12-01T10:00:00Zjunk"})
        EXPECT_FALSE(parse_iso8601(s)) << s;
}

// Issue 11 A4: years outside what a nanosecond time_point holds wrapped
// around (0001 read as 1754, 9999 as 1816) and +99:00 was accepted.
TEST(Iso8601, ZoneOffsetsOnlyWithinFourteenHours) {
    auto utc = parse_iso8601("2025-12-01T12:00:00Z");
    ASSERT_TRUE(utc);
    EXPECT_EQ(parse_iso8601("2025-12-02T02:00:00+14:00"), utc);
    EXPECT_EQ(parse_iso8601("2025-11-30T22:00:00-14:00"), utc);
    EXPECT_EQ(parse_iso8601("2025-12-01T17:45:00+0545"), utc);
    EXPECT_EQ(parse_iso8601("2025-12-01T12:00:00-00:00"), utc);
    for (auto s : {"2025-12-01T12:00:00+14:01", "2025-12-01T12:00:00+99:00", "2025-12-01T12:00:00-15:00",
                   "2025-12-01T12:00:00+05:60", "2025-12-01T12:00:00-14:30"}) {
        auto p = parse_iso8601_checked(s);
        EXPECT_FALSE(p.at) << s;
        EXPECT_EQ(p.error, time_parse_error::zone_offset) << s;
    }
    EXPECT_EQ(parse_iso8601_checked("2025-12-01T12:00:00+1").error, time_parse_error::malformed);
}

TEST(Iso8601, YearsOutsideTheRepresentableRangeAreRefusedNotWrapped) {
    for (auto s : {"0001-01-01", "0001-01-01T00:00:00Z", "1600-06-01T00:00:00Z", "1677-09-21T00:12:44Z",
                   "1677-12-31T23:59:59.999999Z", "2262-01-01", "2262-04-11T23:47:16Z", "2262-12-31T00:00:00Z",
                   "9999-12-31", "9999-12-31T23:59:59.999+14:00", "0000-01-01"}) {
        auto p = parse_iso8601_checked(s);
        EXPECT_FALSE(p.at) << s;
        EXPECT_EQ(p.error, time_parse_error::out_of_range) << s;
        EXPECT_FALSE(parse_iso8601(s)) << s;
    }
}

TEST(Iso8601, TheBoundariesThemselves) {
    EXPECT_EQ(to_iso8601(earliest_time), "1678-01-01T00:00:00.000Z");
    EXPECT_EQ(to_iso8601(end_of_time), "2262-01-01T00:00:00.000Z");
    EXPECT_EQ(parse_iso8601("1678-01-01T00:00:00Z"), earliest_time);
    EXPECT_EQ(parse_iso8601("1678-01-01"), earliest_time);
    // The same instant written in a zone east of UTC is still in range...
    EXPECT_EQ(parse_iso8601("1678-01-01T14:00:00+14:00"), earliest_time);
    // ...one microsecond earlier is not.
    EXPECT_EQ(parse_iso8601_checked("1678-01-01T13:59:59.999999+14:00").error, time_parse_error::out_of_range);
    auto last = parse_iso8601("2261-12-31T23:59:59.999999Z");
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, end_of_time - std::chrono::microseconds(1));
    EXPECT_EQ(parse_iso8601_checked("2261-12-31T23:59:59.999999-00:01").error, time_parse_error::out_of_range);
    EXPECT_EQ(parse_iso8601_checked("2261-12-31T23:59:60Z").error, time_parse_error::out_of_range);
    EXPECT_EQ(accepted_time_range(), "1678-01-01T00:00:00.000Z and 2261-12-31T23:59:59.999Z");
    // Years well inside: 1700, 1970, 2200 read back exactly.
    for (auto s : {"1700-03-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z", "2200-02-28T23:59:59.999Z"}) {
        auto t = parse_iso8601(s);
        ASSERT_TRUE(t) << s;
        EXPECT_EQ(to_iso8601(*t), s);
    }
}

TEST(ReadingRules, RangeChecked) {
    EXPECT_FALSE(check({85, 120, 35000}));
    EXPECT_EQ(check({101, 0, 0})->field, "soc");
    EXPECT_EQ(check({-1, 0, 0})->field, "soc");
    EXPECT_EQ(check({50, -1, 0})->field, "solar_w");
    EXPECT_EQ(check({50, 1, -0.5})->field, "lux");
}

// Issue 11 A5: solar_w 1e308 was stored and the energy summary reported
// 1.76e+303 Wh. Implausible values are refused, with the limit named.
TEST(ReadingRules, ImplausibleValuesRefused) {
    reading_limits limits;  // defaults: SOLAR_W_MAX 1,000,000, LUX_MAX 200,000
    EXPECT_FALSE(check({50, 1000000, 200000}, limits));
    auto w = check({50, 1e308, 0}, limits);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->field, "solar_w");
    EXPECT_NE(w->message.find("1000000"), std::string::npos) << w->message;
    EXPECT_EQ(check({50, 1000000.5, 0}, limits)->field, "solar_w");
    EXPECT_EQ(check({50, 0, 200001}, limits)->field, "lux");
    reading_limits tight{500, 1000};
    EXPECT_EQ(check({50, 501, 0}, tight)->field, "solar_w");
    EXPECT_FALSE(check({50, 500, 1000}, tight));
}

TEST(BatteryEnergy, TheSeedsRule) {
    EXPECT_EQ(battery_energy_wh(85, 10000), 8500);  // the Trade page's figure
    EXPECT_EQ(battery_energy_wh(0, 10000), 0);
    EXPECT_EQ(battery_energy_wh(50, 5000), 2500);
}

TEST(RelayPatch, MergesOnlyNamedHouseholds) {
    relay_state s{{false, true, false, true}};
    relay_patch p;
    p.on[0] = true;
    p.on[3] = false;
    auto n = p.applied_to(s);
    EXPECT_EQ(n, (relay_state{{true, true, false, false}}));
    EXPECT_TRUE(relay_patch{}.empty());
}
