#include "domain/energy.hpp"
#include "domain/types.hpp"

#include <gtest/gtest.h>

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
