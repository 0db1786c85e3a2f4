#include "common/log_throttle.hpp"

#include <gtest/gtest.h>

using solgrid::common::log_throttle;
using namespace std::chrono_literals;

TEST(LogThrottle, OneLinePerIntervalWithTheCountHeldBack) {
    log_throttle t(10s);
    auto t0 = log_throttle::clock::time_point{} + 1h;
    ASSERT_EQ(t.admit(t0), 0u);  // the first one is always logged
    int quiet = 0;
    for (int i = 1; i <= 199; ++i)  // 20 a second for ~10 s, as accept did at EMFILE
        if (!t.admit(t0 + i * 50ms)) ++quiet;
    EXPECT_EQ(quiet, 199);
    EXPECT_EQ(t.admit(t0 + 10s), 199u);
    EXPECT_FALSE(t.admit(t0 + 15s));
    EXPECT_EQ(t.admit(t0 + 30s), 1u);
    EXPECT_EQ(t.admit(t0 + 60s), 0u);
}

TEST(LogThrottle, NoteSaysHowManyOrNothing) {
    EXPECT_EQ(solgrid::common::suppressed_note(0), "");
    EXPECT_EQ(solgrid::common::suppressed_note(37), " (37 more like it since the last report)");
}
