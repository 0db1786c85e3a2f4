#include "domain/device_backoff.hpp"

#include <gtest/gtest.h>

using namespace solgrid::domain;
using std::chrono::milliseconds;

TEST(Backoff, DoublesFromTheBaseWithoutJitter) {
    backoff_policy p{milliseconds(100), milliseconds(10000), 0.0};
    EXPECT_EQ(backoff_delay(p, 1, 0.7), milliseconds(100));
    EXPECT_EQ(backoff_delay(p, 2, 0.7), milliseconds(200));
    EXPECT_EQ(backoff_delay(p, 3, 0.7), milliseconds(400));
    EXPECT_EQ(backoff_delay(p, 5, 0.7), milliseconds(1600));
}

TEST(Backoff, IsCapped) {
    backoff_policy p{milliseconds(250), milliseconds(1000), 0.0};
    EXPECT_EQ(backoff_delay(p, 3, 0.5), milliseconds(1000));
    EXPECT_EQ(backoff_delay(p, 60, 0.5), milliseconds(1000));  // no overflow for huge attempts
}

TEST(Backoff, JitterSpreadsWithinTheFraction) {
    backoff_policy p{milliseconds(1000), milliseconds(10000), 0.2};
    EXPECT_EQ(backoff_delay(p, 1, 0.0), milliseconds(800));
    EXPECT_EQ(backoff_delay(p, 1, 0.5), milliseconds(1000));
    EXPECT_EQ(backoff_delay(p, 1, 0.999999), milliseconds(1200));
    // Out-of-range inputs are clamped, never negative.
    EXPECT_EQ(backoff_delay(p, 1, -3.0), milliseconds(800));
    EXPECT_EQ(backoff_delay(p, 0, 0.5), milliseconds(1000));
    backoff_policy wild{milliseconds(100), milliseconds(1000), 7.0};
    EXPECT_GE(backoff_delay(wild, 1, 0.0).count(), 0);
}
