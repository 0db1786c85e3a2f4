#include "domain/device_commander.hpp"

#include "fakes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain;
using std::chrono::milliseconds;

namespace {

// A device that fails the first `failures` commands, and can hold a
// command until the test lets it go.
class scripted_gateway final : public device_gateway {
public:
    asio::awaitable<relay_report> send_relays(relay_command cmd) override {
        sent.push_back(cmd);
        if (hold_next) {
            hold_next = false;
            asio::steady_timer t(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
            held = &t;
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            held = nullptr;
        }
        if (failures > 0) {
            --failures;
            throw device_error("connect to device: Connection refused");
        }
        co_return relay_report{cmd.state, cmd.version};
    }
    asio::awaitable<device_probe> probe() override { co_return device_probe{}; }

    void release() {
        if (held) held->cancel();
    }

    std::vector<relay_command> sent;
    int failures = 0;
    bool hold_next = false;
    asio::steady_timer* held = nullptr;
};

relay_patch only(char household, bool on) {
    relay_patch p;
    p.on[static_cast<std::size_t>(household - 'A')] = on;
    return p;
}

struct commander_test : ::testing::Test {
    asio::io_context ioc;
    test::memory_relay_store store;
    test::recording_notifier events;
    relay_service relays{store, events};
    scripted_gateway device;
    std::unique_ptr<device_commander> commander;

    void start(int attempts, milliseconds backoff) {
        device_commander::options o;
        o.max_attempts = attempts;
        o.backoff = {backoff, backoff * 4, 0.0};
        commander = std::make_unique<device_commander>(ioc.get_executor(), device, relays, o);
        relays.push_commands_to([this](relay_command c) { commander->submit(c); });
        commander->start();
    }
    void update(relay_patch p) { asio::co_spawn(ioc, relays.update(p, "test"), asio::detached); }
    // Runs the loop until `done` holds (or a generous deadline passes).
    template <class F>
    bool run_until(F done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(milliseconds(20));
        return done();
    }
    void TearDown() override {
        if (commander) commander->stop();
        device.release();
        ioc.run_for(milliseconds(50));
    }
    std::string command() const { return std::string(relays.status_json().at("command").as_string()); }
};

}  // namespace

TEST_F(commander_test, RetriesWithBackoffUntilTheDeviceAnswers) {
    start(4, milliseconds(1));
    device.failures = 2;
    update(only('B', true));
    ASSERT_TRUE(run_until([&] { return command() == "delivered"; })) << command();
    EXPECT_EQ(device.sent.size(), 3u);
    auto s = relays.status_json();
    EXPECT_EQ(s["attempts"], 3);
    EXPECT_EQ(s["B"], true);
    EXPECT_EQ(s["pending"], false);
    EXPECT_FALSE(s.contains("error"));
    // The retries were visible while they happened.
    bool saw_retrying = false;
    for (auto& e : events.of("relay_status_update"))
        if (e.as_object().at("command") == "retrying") saw_retrying = true;
    EXPECT_TRUE(saw_retrying);
}

TEST_F(commander_test, GivesUpAfterMaxAttemptsAndSaysWhy) {
    start(3, milliseconds(1));
    device.failures = 100;
    update(only('B', true));
    ASSERT_TRUE(run_until([&] { return command() == "failed"; })) << command();
    ioc.run_for(milliseconds(50));  // nothing more is sent after giving up
    EXPECT_EQ(device.sent.size(), 3u);
    auto s = relays.status_json();
    EXPECT_EQ(s["attempts"], 3);
    EXPECT_EQ(s["pending"], true);
    EXPECT_EQ(s["B"], true);  // never heard from the device: desired, flagged pending
    EXPECT_NE(std::string(s["error"].as_string()).find("Connection refused"), std::string::npos);
}

TEST_F(commander_test, TheNewestStateWinsAndIntermediateOnesAreNeverSent) {
    start(4, milliseconds(1));
    device.hold_next = true;
    update(only('B', true));
    ASSERT_TRUE(run_until([&] { return device.held != nullptr; }));
    update(only('C', true));
    update(only('D', true));
    ASSERT_TRUE(run_until([&] { return relays.status_json().at("desired").as_object().at("D") == true; }));
    device.release();
    ASSERT_TRUE(run_until([&] { return device.sent.size() == 2 && command() == "delivered"; }));
    ioc.run_for(milliseconds(50));
    ASSERT_EQ(device.sent.size(), 2u);
    relay_state all_but_a{{false, true, true, true}};
    EXPECT_EQ(device.sent[1].state, all_but_a);
    EXPECT_EQ(relays.current(), all_but_a);
    EXPECT_EQ(relays.status_json()["pending"], false);
}

TEST_F(commander_test, ANewerStateCutsTheBackoffShort) {
    start(4, milliseconds(60000));  // a retry would wait a minute
    device.failures = 1;
    update(only('B', true));
    ASSERT_TRUE(run_until([&] { return command() == "retrying"; }));
    update(only('C', true));
    ASSERT_TRUE(run_until([&] { return command() == "delivered"; })) << command();
    EXPECT_EQ(device.sent.size(), 2u);
    EXPECT_EQ(device.sent[1].state, (relay_state{{false, true, true, false}}));
}
