#include "domain/relay_service.hpp"

#include "fakes.hpp"

#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain;

namespace {

relay_patch only(char household, bool on) {
    relay_patch p;
    p.on[static_cast<std::size_t>(household - 'A')] = on;
    return p;
}

const relay_state b_on{{false, true, false, false}};

struct relay_service_test : ::testing::Test {
    asio::io_context ioc;
    test::memory_relay_store store;
    test::recording_notifier events;
    relay_service relays{store, events};
    std::vector<relay_command> pushed;

    void with_device() {
        relays.push_commands_to([this](relay_command c) { pushed.push_back(c); });
    }
    relay_state update(relay_patch p) { return test::run(ioc, relays.update(p, "test")); }
};

}  // namespace

TEST_F(relay_service_test, WithoutADeviceTheDesiredStateIsTheStateInTheSeedsShape) {
    update(only('B', true));
    auto expected = boost::json::parse(R"({"A":false,"B":true,"C":false,"D":false})");
    EXPECT_EQ(boost::json::value(relays.status_json()), expected);
    EXPECT_EQ(relays.current(), b_on);
    ASSERT_EQ(events.of("relay_status_update").size(), 1u);
    EXPECT_EQ(events.of("relay_status_update")[0], expected);
    EXPECT_EQ(store.stored, b_on);
    // The seed broadcasts every update, even one that changes nothing.
    update(only('B', true));
    EXPECT_EQ(events.of("relay_status_update").size(), 2u);
}

TEST_F(relay_service_test, WithADeviceTheReportedStateIsShownAndTheChangeIsPending) {
    with_device();
    update(only('B', true));
    ASSERT_EQ(pushed.size(), 1u);
    EXPECT_EQ(pushed[0].state, b_on);
    auto s = relays.status_json();
    // Never heard from the device: the desired state is the best guess, flagged pending.
    EXPECT_EQ(s["B"], true);
    EXPECT_EQ(s["pending"], true);
    EXPECT_EQ(s["command"], "sending");
    EXPECT_EQ(s["reported"], nullptr);
    EXPECT_EQ(s["desired"].as_object().at("B"), true);

    relays.command_delivered(pushed[0].version, {relay_state{}, std::nullopt});  // it kept everything off
    s = relays.status_json();
    EXPECT_EQ(s["B"], false);
    EXPECT_EQ(s["pending"], true);
    EXPECT_EQ(relays.current(), relay_state{});

    relays.report({b_on, pushed[0].version});
    s = relays.status_json();
    EXPECT_EQ(s["B"], true);
    EXPECT_EQ(s["pending"], false);
    EXPECT_EQ(s["command"], "delivered");
    EXPECT_FALSE(s.contains("error"));
}

TEST_F(relay_service_test, VersionsGrowAndStaleReportsAreIgnored) {
    with_device();
    update(only('B', true));
    update(only('C', true));
    ASSERT_EQ(pushed.size(), 2u);
    EXPECT_GT(pushed[1].version, pushed[0].version);
    EXPECT_EQ(relays.desired().version, pushed[1].version);

    relay_state b_and_c{{false, true, true, false}};
    relays.report({b_and_c, pushed[1].version});
    // A sensor post written before the last command arrives late.
    relays.report({b_on, pushed[0].version});
    EXPECT_EQ(relays.current(), b_and_c);
    // A device ahead of us (a clock set back) gets versions past its own.
    relays.report({b_and_c, pushed[1].version + 1000});
    EXPECT_GT(relays.desired().version, pushed[1].version + 1000);
    ASSERT_EQ(pushed.size(), 3u);  // and the desired state goes out again under it
    EXPECT_EQ(pushed[2].version, relays.desired().version);
    EXPECT_EQ(pushed[2].state, b_and_c);
    // Reports without a version are taken as they come.
    relays.report({relay_state{}, std::nullopt});
    EXPECT_EQ(relays.current(), relay_state{});
}

TEST_F(relay_service_test, FailuresAreVisibleAndRetriesCounted) {
    with_device();
    update(only('B', true));
    auto v = pushed[0].version;
    relays.command_attempt(v, 1);
    relays.command_failed(v, 1, "connect: refused", false);
    auto s = relays.status_json();
    EXPECT_EQ(s["command"], "retrying");
    EXPECT_EQ(s["attempts"], 1);
    EXPECT_EQ(s["error"], "connect: refused");
    relays.command_attempt(v, 2);
    relays.command_failed(v, 2, "connect: refused", true);
    s = relays.status_json();
    EXPECT_EQ(s["command"], "failed");
    EXPECT_EQ(s["attempts"], 2);
    EXPECT_EQ(s["pending"], true);
    EXPECT_TRUE(relays.needs_delivery(v));  // not on the device yet
    // Every step was broadcast.
    auto sent = events.of("relay_status_update");
    ASSERT_GE(sent.size(), 4u);
    EXPECT_EQ(sent.back().as_object().at("command"), "failed");

    // The device picks the state up from a sensor-post reply after all.
    relays.report({b_on, v});
    s = relays.status_json();
    EXPECT_EQ(s["pending"], false);
    EXPECT_EQ(s["command"], "delivered");
    EXPECT_FALSE(s.contains("error"));
    EXPECT_FALSE(relays.needs_delivery(v));
}

TEST_F(relay_service_test, SupersededCommandsNeedNoDeliveryAndTheirNewsIsIgnored) {
    with_device();
    update(only('B', true));
    update(only('D', true));
    auto old_v = pushed[0].version;
    EXPECT_FALSE(relays.needs_delivery(old_v));
    EXPECT_TRUE(relays.needs_delivery(pushed[1].version));
    relays.command_failed(old_v, 4, "too late", true);
    EXPECT_NE(relays.status_json()["command"], "failed");
}

TEST_F(relay_service_test, ADeviceReportingInItsPostsMakesTheStateDeviceBacked) {
    update(only('A', true));  // no ARDUINO_URL
    EXPECT_EQ(relays.status_json().size(), 4u);
    relays.report({relay_state{}, 5});
    auto s = relays.status_json();
    EXPECT_EQ(s["A"], false);
    EXPECT_EQ(s["pending"], true);
    EXPECT_EQ(s["command"], "none");  // nothing pushed: it converges through post replies
}

TEST_F(relay_service_test, OnlyChangesAreBroadcastForReports) {
    with_device();
    update(only('B', true));
    auto before = events.of("relay_status_update").size();
    relays.report({b_on, std::nullopt});
    relays.report({b_on, std::nullopt});
    relays.report({b_on, std::nullopt});
    EXPECT_EQ(events.of("relay_status_update").size(), before + 1);
}

TEST_F(relay_service_test, AFailedStoreChangesNothingAndPushesNothing) {
    with_device();
    store.fail = true;
    EXPECT_THROW(update(only('B', true)), storage_unavailable);
    EXPECT_EQ(relays.desired().state, relay_state{});
    EXPECT_TRUE(pushed.empty());
    EXPECT_TRUE(events.of("relay_status_update").empty());
}

TEST_F(relay_service_test, WarmUpLoadsTheStoredDesiredState) {
    store.stored = b_on;
    test::run(ioc, relays.warm_up());
    EXPECT_EQ(relays.current(), b_on);
    EXPECT_EQ(relays.desired().state, b_on);
}
