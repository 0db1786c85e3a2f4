#include "solgrid_fw/json_scan.h"
#include "solgrid_fw/protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

using namespace solgrid_fw;

namespace {
relay_set make(bool a, bool b, bool c, bool d) {
    relay_set r;
    r.on[0] = a, r.on[1] = b, r.on[2] = c, r.on[3] = d;
    return r;
}
bool same(const relay_set& x, const relay_set& y) { return std::memcmp(x.on, y.on, sizeof x.on) == 0; }
}  // namespace

TEST(FirmwareProtocol, BuildsTheSensorPostTheBackendExpects) {
    char buf[256];
    reading r;
    r.soc = 85;
    r.solar_w = 120.46f;
    r.lux = 35000.4f;
    int n = build_reading_json(buf, sizeof buf, r, make(true, false, false, true), 1764599128123);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, n),
              R"({"soc":85,"solar_w":120.5,"lux":35000,"relays":{"A":true,"B":false,"C":false,"D":true},)"
              R"("relay_version":1764599128123})");
    EXPECT_TRUE(json_valid(buf, static_cast<std::size_t>(n)));
}

TEST(FirmwareProtocol, ClampsWhatTheBackendWouldReject) {
    char buf[256];
    reading r;
    r.soc = 140;
    r.solar_w = -3.0f;
    r.lux = NAN;
    int n = build_reading_json(buf, sizeof buf, r, relay_set{}, 0);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf).find(R"("soc":100,"solar_w":0.0,"lux":0,)"), std::string::npos) << buf;
}

TEST(FirmwareProtocol, ReportsWhenTheBufferIsTooSmall) {
    char small[40];
    EXPECT_EQ(build_reading_json(small, sizeof small, reading{}, relay_set{}, 1), -1);
    EXPECT_EQ(build_reading_json(nullptr, 0, reading{}, relay_set{}, 1), -1);
    device_report d;
    EXPECT_EQ(build_status_json(small, sizeof small, d), -1);
    char big[512];
    int n = build_status_json(big, sizeof big, d);
    ASSERT_GT(n, 0);
    EXPECT_TRUE(json_valid(big, static_cast<std::size_t>(n))) << big;
}

TEST(FirmwareProtocol, StatusAndRelayReplyAreValidJson) {
    char buf[512];
    device_report d;
    d.uptime_s = 3600;
    d.relays = make(false, true, false, false);
    d.relay_version = 77;
    d.watchdog_tripped = true;
    int n = build_status_json(buf, sizeof buf, d);
    ASSERT_GT(n, 0);
    json_span v;
    ASSERT_TRUE(json_find(buf, static_cast<std::size_t>(n), "relays.B", v));
    EXPECT_EQ(std::string(v.p, v.n), "true");
    ASSERT_TRUE(json_find(buf, static_cast<std::size_t>(n), "watchdog_tripped", v));
    EXPECT_EQ(std::string(v.p, v.n), "true");

    n = build_relay_reply_json(buf, sizeof buf, true, d.relays, 77);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, n),
              R"({"success":true,"applied":true,"relays":{"A":false,"B":true,"C":false,"D":false},"relay_version":77})");
}

TEST(FirmwareProtocol, ParsesCommandsMergingPartialOnes) {
    const char* body = R"({"B":true,"version":1764599128123})";
    relay_command cmd;
    const char* why = nullptr;
    ASSERT_EQ(parse_relay_command(body, std::strlen(body), make(true, false, false, false), cmd, &why),
              command_error::none);
    EXPECT_TRUE(same(cmd.state, make(true, true, false, false)));
    EXPECT_TRUE(cmd.has_version);
    EXPECT_EQ(cmd.version, 1764599128123);

    const char* full = R"({"A":false,"B":false,"C":true,"D":false})";
    ASSERT_EQ(parse_relay_command(full, std::strlen(full), make(true, true, true, true), cmd, &why),
              command_error::none);
    EXPECT_TRUE(same(cmd.state, make(false, false, true, false)));
    EXPECT_FALSE(cmd.has_version);
}

TEST(FirmwareProtocol, RejectsBadCommandsAndSaysWhy) {
    struct bad {
        const char* body;
        command_error error;
    };
    for (auto b : {bad{"{", command_error::bad_json}, bad{"[true]", command_error::not_an_object},
                   bad{R"({"A":"on"})", command_error::bad_value}, bad{R"({"version":3})", command_error::nothing_named},
                   bad{R"({"A":true,"version":-1})", command_error::bad_version},
                   bad{R"({"A":true,"version":"7"})", command_error::bad_version}}) {
        relay_command cmd;
        cmd.state = make(true, true, true, true);
        const char* why = nullptr;
        EXPECT_EQ(parse_relay_command(b.body, std::strlen(b.body), relay_set{}, cmd, &why), b.error) << b.body;
        ASSERT_NE(why, nullptr);
        EXPECT_GT(std::strlen(why), 0u) << b.body;
        EXPECT_TRUE(same(cmd.state, make(true, true, true, true))) << "untouched on failure: " << b.body;
    }
}

TEST(FirmwareProtocol, ReadsTheDesiredStateFromAPostReply) {
    const char* reply =
        R"({"success":true,"message":"sensor data saved","data":{"soc":85,"solar_w":120,"lux":35000,)"
        R"("timestamp":"2026-01-01T00:00:00.000Z","id":9,"relays":{"A":false,"B":true,"C":false,"D":false},)"
        R"("relay_version":1764599128123}})";
    relay_command cmd;
    ASSERT_TRUE(parse_desired_from_reply(reply, std::strlen(reply), cmd));
    EXPECT_TRUE(same(cmd.state, make(false, true, false, false)));
    EXPECT_EQ(cmd.version, 1764599128123);

    // An older backend (the seed's) replies without relays: nothing to apply.
    const char* seed = R"({"success":true,"message":"ok","data":{"soc":85}})";
    EXPECT_FALSE(parse_desired_from_reply(seed, std::strlen(seed), cmd));
    const char* partial = R"({"data":{"relays":{"A":true}}})";
    EXPECT_FALSE(parse_desired_from_reply(partial, std::strlen(partial), cmd));
}

TEST(FirmwareProtocol, OlderCommandsNeverUndoNewerOnes) {
    relay_command cmd;
    cmd.has_version = true;
    cmd.version = 100;
    EXPECT_TRUE(should_apply(cmd, 99));
    EXPECT_TRUE(should_apply(cmd, 100));  // the same command again (after the watchdog) restores it
    EXPECT_FALSE(should_apply(cmd, 101));
    cmd.has_version = false;
    EXPECT_TRUE(should_apply(cmd, 101));  // unversioned senders are obeyed
}
