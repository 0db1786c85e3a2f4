#include "domain/device_protocol.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid::domain;
namespace json = boost::json;

TEST(DeviceProtocol, ReadsTheRelaysOfASensorPost) {
    auto doc = json::parse(R"({"soc":5,"solar_w":1,"lux":2,"relays":{"A":true,"B":false,"C":true,"D":false},"relay_version":17})");
    auto r = find_relay_report(doc, false);
    ASSERT_TRUE(r.value);
    EXPECT_FALSE(r.problem);
    EXPECT_EQ(r.value->state, (relay_state{{true, false, true, false}}));
    EXPECT_EQ(r.value->version, 17);
}

TEST(DeviceProtocol, NoRelaysIsNotAProblem) {
    auto r = find_relay_report(json::parse(R"({"soc":5,"solar_w":1,"lux":2})"), false);
    EXPECT_FALSE(r.value);
    EXPECT_FALSE(r.problem);
    // A–D at top level count only where a device answers a command.
    auto top = json::parse(R"({"A":true,"B":true,"C":true,"D":true,"version":3})");
    EXPECT_FALSE(find_relay_report(top, false).value);
    auto t = find_relay_report(top, true);
    ASSERT_TRUE(t.value);
    EXPECT_EQ(t.value->version, 3);
}

TEST(DeviceProtocol, MalformedRelaysAreNamed) {
    struct bad {
        const char* doc;
        const char* field;
        const char* says;
    };
    for (auto b : {bad{R"({"relays":"on"})", "relays", "must be an object"},
                   bad{R"({"relays":{"A":true,"B":false,"C":false}})", "relays", "missing D"},
                   bad{R"({"relays":{"A":1,"B":false,"C":false,"D":false}})", "relays", "relays.A must be true or false"},
                   bad{R"({"relays":{"E":true,"A":true,"B":false,"C":false,"D":false}})", "relays", "unknown household 'E'"},
                   bad{R"({"relays":{"A":true,"B":false,"C":false,"D":false},"relay_version":-1})", "relay_version",
                       "integer >= 0"},
                   bad{R"({"relays":{"A":true,"B":false,"C":false,"D":false},"relay_version":"7"})", "relay_version",
                       "integer >= 0"}}) {
        auto r = find_relay_report(json::parse(b.doc), false);
        EXPECT_FALSE(r.value) << b.doc;
        ASSERT_TRUE(r.problem) << b.doc;
        EXPECT_EQ(r.problem->field, b.field) << b.doc;
        EXPECT_NE(r.problem->message.find(b.says), std::string::npos) << r.problem->message;
    }
}

TEST(DeviceProtocol, CommandBodyCarriesAllFourAndTheVersion) {
    auto body = command_json({relay_state{{false, true, false, true}}, 1764599128123});
    EXPECT_EQ(json::value(body),
              json::parse(R"({"A":false,"B":true,"C":false,"D":true,"version":1764599128123})"));
}

TEST(DeviceProtocol, ADeviceMergesPartialCommands) {
    relay_state now{{true, false, false, false}};
    auto c = parse_command(json::parse(R"({"C":true,"version":9})"), now);
    ASSERT_TRUE(c.value);
    EXPECT_EQ(c.value->state, (relay_state{{true, false, true, false}}));
    EXPECT_EQ(c.value->version, 9);
    auto unversioned = parse_command(json::parse(R"({"A":false})"), now);
    ASSERT_TRUE(unversioned.value);
    EXPECT_EQ(unversioned.value->version, 0);
}

TEST(DeviceProtocol, ADeviceRejectsBadCommands) {
    relay_state now;
    EXPECT_EQ(parse_command(json::parse(R"({"B":"yes"})"), now).problem.field, "B");
    EXPECT_EQ(parse_command(json::parse(R"({"Z":true})"), now).problem.field, "Z");
    EXPECT_EQ(parse_command(json::parse(R"({"version":2})"), now).problem.field, "");
    EXPECT_EQ(parse_command(json::parse(R"({"A":true,"version":1.5})"), now).problem.field, "version");
    EXPECT_FALSE(parse_command(json::parse(R"([true])"), now).value);
}
