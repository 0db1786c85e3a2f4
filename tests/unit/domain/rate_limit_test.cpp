#include "domain/rate_limit.hpp"

#include <gtest/gtest.h>

using namespace solgrid::domain;
using namespace std::chrono_literals;

TEST(TokenBuckets, BurstThenRate) {
    token_buckets b(2.0, 3.0);
    auto t0 = steady::time_point{} + 100s;
    EXPECT_FALSE(b.take("k", t0));
    EXPECT_FALSE(b.take("k", t0));
    EXPECT_FALSE(b.take("k", t0));
    auto wait = b.take("k", t0);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 1s);
    EXPECT_FALSE(b.take("other", t0));      // keys are independent
    EXPECT_FALSE(b.take("k", t0 + 500ms));  // 2/s refills one in 0.5 s
    EXPECT_TRUE(b.take("k", t0 + 500ms));
    EXPECT_FALSE(b.take("k", t0 + 10s));
}

TEST(TokenBuckets, SlowRateAsksForLongerWait) {
    token_buckets b(0.1, 1.0);
    auto t0 = steady::time_point{} + 100s;
    EXPECT_FALSE(b.take("k", t0));
    auto wait = b.take("k", t0);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 10s);
}

TEST(TokenBuckets, BoundedKeys) {
    token_buckets b(1.0, 1.0, 10);
    auto t0 = steady::time_point{} + 100s;
    for (int i = 0; i < 100; ++i) b.take("k" + std::to_string(i), t0);
    // Still works and the newest key is limited.
    EXPECT_TRUE(b.take("k99", t0));
}

TEST(FailureWindow, BlocksAfterMaxWithinWindow) {
    failure_window w(5, 900s);
    auto t0 = steady::time_point{} + 1000s;
    for (int i = 0; i < 4; ++i) {
        w.fail("u", t0 + std::chrono::seconds(i));
        EXPECT_FALSE(w.blocked("u", t0 + std::chrono::seconds(i)));
    }
    w.fail("u", t0 + 4s);
    auto b = w.blocked("u", t0 + 4s);
    ASSERT_TRUE(b);
    EXPECT_EQ(*b, 896s);  // the first failure leaves the window at t0 + 900 s
    EXPECT_FALSE(w.blocked("u", t0 + 900s));
    EXPECT_FALSE(w.blocked("v", t0 + 4s));
    w.clear("u");
    EXPECT_FALSE(w.blocked("u", t0 + 5s));
}
