// The firmware's household meters (SOLGRID_METERS): power integrated into
// cumulative Wh per relay, and the counters in the sensor post.
#include "solgrid_fw/json_scan.h"
#include "solgrid_fw/meters.h"
#include "solgrid_fw/protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

using namespace solgrid_fw;

namespace {
relay_set make(bool a, bool b, bool c, bool d) {
    relay_set r;
    r.on[0] = a, r.on[1] = b, r.on[2] = c, r.on[3] = d;
    return r;
}
const float volts12[household_count] = {12.0f, 12.0f, 12.0f, 12.0f};
}  // namespace

TEST(FirmwareMeters, IntegratesPowerOfTheHouseholdsWhoseRelayIsOn) {
    energy_meters m;
    const float amps[household_count] = {1.0f, 2.5f, 0.5f, 3.0f};
    const relay_set on = make(true, true, false, true);
    // One hour sampled every 250 ms: 12 V x 1 A = 12 Wh, x 2.5 A = 30 Wh; C is off.
    for (std::uint32_t t = 0; t <= 3600000; t += 250) m.sample(t, volts12, amps, on);
    EXPECT_NEAR(m.wh(0), 12.0, 1e-6);
    EXPECT_NEAR(m.wh(1), 30.0, 1e-6);
    EXPECT_EQ(m.wh(2), 0.0);
    EXPECT_NEAR(m.wh(3), 36.0, 1e-6);
}

TEST(FirmwareMeters, TrapezoidBetweenSamplesAndTheFirstSampleOnlyStarts) {
    energy_meters m;
    const float a1[household_count] = {1.0f, 0, 0, 0}, a3[household_count] = {3.0f, 0, 0, 0};
    m.sample(1000, volts12, a3, make(true, false, false, false));
    EXPECT_EQ(m.wh(0), 0.0);
    m.sample(2000, volts12, a1, make(true, false, false, false));  // (36 + 12) / 2 W x 1 s
    EXPECT_NEAR(m.wh(0), 24.0 / 3600.0, 1e-12);
}

TEST(FirmwareMeters, NoiseNegativeAndBrokenReadingsCountAsNothing) {
    energy_meters m(5000, 0.05f);
    const float amps[household_count] = {0.04f, -2.0f, NAN, 1.0f};
    const float volts[household_count] = {12.0f, 12.0f, 12.0f, INFINITY};
    for (std::uint32_t t = 0; t <= 60000; t += 500) m.sample(t, volts, amps, make(true, true, true, true));
    for (int i = 0; i < household_count; ++i) EXPECT_EQ(m.wh(i), 0.0) << i;
}

TEST(FirmwareMeters, AStalledLoopCountsAtMostOneMaxStep) {
    energy_meters m(5000);
    const float amps[household_count] = {1.0f, 0, 0, 0};
    m.sample(0, volts12, amps, make(true, false, false, false));
    m.sample(600000, volts12, amps, make(true, false, false, false));  // 10 min without a sample
    EXPECT_NEAR(m.wh(0), 12.0 * 5.0 / 3600.0, 1e-12);
}

TEST(FirmwareMeters, MillisWrapsWithoutAJump) {
    energy_meters m;
    const float amps[household_count] = {1.0f, 0, 0, 0};
    const std::uint32_t before_wrap = 0xFFFFFFFFu - 499;
    m.sample(before_wrap, volts12, amps, make(true, false, false, false));
    m.sample(before_wrap + 1000u, volts12, amps, make(true, false, false, false));  // wraps to 500
    EXPECT_NEAR(m.wh(0), 12.0 / 3600.0, 1e-12);
}

TEST(FirmwareMeters, CountersNeverGoDown) {
    energy_meters m;
    double prev[household_count] = {0, 0, 0, 0};
    for (std::uint32_t t = 0; t < 20000; t += 100) {
        const float amps[household_count] = {static_cast<float>(t % 700) / 100.0f, -1.0f, 0.3f, 5.0f};
        m.sample(t, volts12, amps, make(t % 3000 < 1500, true, t % 900 < 450, false));
        for (int i = 0; i < household_count; ++i) {
            EXPECT_GE(m.wh(i), prev[i]);
            prev[i] = m.wh(i);
        }
    }
    EXPECT_GT(m.wh(0), 0.0);
}

TEST(FirmwareMeters, ThePostCarriesTheCounters) {
    char buf[512];
    reading r;
    r.soc = 85;
    r.solar_w = 120.46f;
    r.lux = 35000.4f;
    const double counters[household_count] = {1234.5678, 0.0, 12.0, 999999.9994};
    int n = build_reading_json(buf, sizeof buf, r, make(true, false, false, true), 7, counters);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)),
              R"({"soc":85,"solar_w":120.5,"lux":35000,"relays":{"A":true,"B":false,"C":false,"D":true},)"
              R"("relay_version":7,"meter_wh":{"A":1234.568,"B":0.000,"C":12.000,"D":999999.999}})");
    EXPECT_TRUE(json_valid(buf, static_cast<std::size_t>(n)));
    json_span v;
    ASSERT_TRUE(json_find(buf, static_cast<std::size_t>(n), "meter_wh.C", v));
    // Without meters the post is the seed's, unchanged.
    int plain = build_reading_json(buf, sizeof buf, r, make(true, false, false, true), 7);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(plain)).find("meter_wh"), std::string::npos);
}

TEST(FirmwareMeters, ABrokenCounterIsLeftOutAndASmallBufferFails) {
    char buf[512];
    const double counters[household_count] = {NAN, -1.0, 5.0, INFINITY};
    int n = build_reading_json(buf, sizeof buf, reading{}, relay_set{}, 0, counters);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf).find(R"("meter_wh":{"C":5.000}})"), std::string::npos) << buf;
    EXPECT_TRUE(json_valid(buf, static_cast<std::size_t>(n)));
    const double none[household_count] = {NAN, NAN, NAN, NAN};
    n = build_reading_json(buf, sizeof buf, reading{}, relay_set{}, 0, none);
    EXPECT_NE(std::string(buf).find(R"("meter_wh":{}})"), std::string::npos) << buf;
    char small[120];
    const double big[household_count] = {1e12, 1e12, 1e12, 1e12};
    EXPECT_EQ(build_reading_json(small, sizeof small, reading{}, relay_set{}, 0, big), -1);
}
