#include "domain/device_health.hpp"

#include <gtest/gtest.h>

using namespace solgrid::domain;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {
const steady::time_point t0{std::chrono::hours(1)};
}

TEST(DeviceHealth, UnknownUntilTheFirstPost) {
    device_health h(milliseconds(2000), 3, t0);
    EXPECT_EQ(h.state(), device_state::unknown);
    EXPECT_FALSE(h.last_seen());
    EXPECT_FALSE(h.tick(t0 + milliseconds(5999)));
    EXPECT_TRUE(h.seen(t0 + milliseconds(100)));
    EXPECT_EQ(h.state(), device_state::online);
    EXPECT_EQ(h.since(), t0 + milliseconds(100));
}

TEST(DeviceHealth, OfflineAfterTheConfiguredMissedIntervals) {
    device_health h(milliseconds(2000), 3, t0);
    EXPECT_EQ(h.offline_timeout(), milliseconds(6000));
    h.seen(t0);
    // Regular posts keep it online and report no change.
    for (int i = 1; i <= 5; ++i) {
        EXPECT_FALSE(h.seen(t0 + milliseconds(2000 * i)));
        EXPECT_FALSE(h.tick(t0 + milliseconds(2000 * i + 1000)));
    }
    auto last = t0 + milliseconds(10000);
    EXPECT_FALSE(h.tick(last + milliseconds(5999)));
    EXPECT_EQ(h.state(), device_state::online);
    EXPECT_TRUE(h.tick(last + milliseconds(6000)));
    EXPECT_EQ(h.state(), device_state::offline);
    EXPECT_EQ(h.since(), last + milliseconds(6000));
    EXPECT_FALSE(h.tick(last + milliseconds(60000)));  // one change, one notice
    EXPECT_EQ(*h.last_seen(), last);
}

TEST(DeviceHealth, BackOnlineWithTheNextPost) {
    device_health h(milliseconds(500), 2, t0);
    h.seen(t0);
    ASSERT_TRUE(h.tick(t0 + milliseconds(1000)));
    EXPECT_TRUE(h.seen(t0 + milliseconds(4000)));
    EXPECT_EQ(h.state(), device_state::online);
    EXPECT_EQ(h.deadline(), t0 + milliseconds(5000));
}

TEST(DeviceHealth, NeverSeenTurnsOfflineAfterTheTimeoutFromStart) {
    device_health h(milliseconds(1000), 3, t0);
    EXPECT_TRUE(h.tick(t0 + milliseconds(3000)));
    EXPECT_EQ(h.state(), device_state::offline);
}

TEST(DeviceHealth, OutOfOrderPostsDoNotMoveLastSeenBack) {
    device_health h(milliseconds(1000), 3, t0);
    h.seen(t0 + milliseconds(500));
    h.seen(t0 + milliseconds(200));
    EXPECT_EQ(*h.last_seen(), t0 + milliseconds(500));
}

TEST(DeviceHealth, NonsenseSettingsAreClampedToSomethingUsable) {
    device_health h(milliseconds(0), 0, t0);
    EXPECT_GE(h.offline_timeout(), milliseconds(1));
    EXPECT_EQ(h.offline_after(), 1);
}

// The thread-safe service around it: publishes device_status on each change.
#include "domain/device_monitor.hpp"

#include "fakes.hpp"

#include <thread>

TEST(DeviceMonitor, PublishesEachChangeOnce) {
    solgrid::test::recording_notifier events;
    device_monitor m(events, milliseconds(10), 2);
    m.seen("10.0.0.7");
    m.seen("10.0.0.7");
    auto sent = events.of("device_status");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].as_object().at("online"), true);
    EXPECT_EQ(sent[0].as_object().at("status"), "online");
    EXPECT_EQ(sent[0].as_object().at("address"), "10.0.0.7");
    EXPECT_TRUE(sent[0].as_object().at("last_seen").is_string());
    std::this_thread::sleep_for(milliseconds(30));
    m.tick();
    m.tick();
    sent = events.of("device_status");
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].as_object().at("online"), false);
    EXPECT_EQ(sent[1].as_object().at("status"), "offline");
    EXPECT_FALSE(m.online());
    auto s = m.status_json();
    EXPECT_EQ(s.at("posts"), 2u);
    EXPECT_EQ(s.at("offline_after"), 2);
    EXPECT_DOUBLE_EQ(s.at("offline_timeout_s").as_double(), 0.02);
}

TEST(DeviceHealth, GoneIsOfflineAtOnceUntilTheNextPost) {
    device_health h(milliseconds(2000), 3, t0);
    h.seen(t0);
    EXPECT_TRUE(h.gone(t0 + milliseconds(500)));  // an MQTT last will: no waiting for missed intervals
    EXPECT_EQ(h.state(), device_state::offline);
    EXPECT_EQ(h.since(), t0 + milliseconds(500));
    EXPECT_FALSE(h.gone(t0 + milliseconds(600)));
    EXPECT_FALSE(h.tick(t0 + milliseconds(60000)));
    EXPECT_TRUE(h.seen(t0 + milliseconds(700)));
    EXPECT_EQ(h.state(), device_state::online);
}
