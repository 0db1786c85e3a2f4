#include "mqtt/inbound.hpp"
#include "mqtt/topics.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <set>

using namespace solgrid;
using namespace solgrid::mqtt;

TEST(MqttTopics, ClassifiesTheSiteTopics) {
    auto t = parse_topic("default", "solgrid/default/esp32-1/telemetry");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, inbound_kind::telemetry);
    EXPECT_EQ(t->device, "esp32-1");
    t = parse_topic("default", "solgrid/default/dev_2/relay/state");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, inbound_kind::relay_state);
    EXPECT_EQ(t->device, "dev_2");
    t = parse_topic("default", "solgrid/default/dev/status");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, inbound_kind::status);
    t = parse_topic("farm", "solgrid/farm/relay/C/set");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, inbound_kind::switch_set);
    EXPECT_EQ(t->household, 2u);
}

TEST(MqttTopics, IgnoresWhatIsNotOurs) {
    for (const char* topic :
         {"solgrid/other/dev/telemetry", "solgrid/default", "solgrid/default/dev", "solgrid/default/dev/telemetry/x",
          "solgrid/default//telemetry", "solgrid/default/dev ice/telemetry", "solgrid/default/dev/relay/set",
          "solgrid/default/server/status", "solgrid/default/relay/E/set", "solgrid/default/relay/AB/set",
          "solgrid/default/relay/a/set", "solgrid/default/relay/A/state", "solgrid/default/state",
          "homeassistant/switch/x/config", "solgrid/default/+/telemetry", "solgrid/default/#",
          "/solgrid/default/dev/telemetry", ""})
        EXPECT_FALSE(parse_topic("default", topic)) << topic;
    std::string long_device(65, 'd');
    EXPECT_FALSE(parse_topic("default", "solgrid/default/" + long_device + "/telemetry"));
    EXPECT_TRUE(parse_topic("default", "solgrid/default/" + long_device.substr(1) + "/telemetry"));
}

TEST(MqttTopics, BuildsTheTopicsItSubscribesToAndPublishes) {
    topics t("farm");
    EXPECT_EQ(t.server_status(), "solgrid/farm/server/status");
    EXPECT_EQ(t.state(), "solgrid/farm/state");
    EXPECT_EQ(t.switch_set('B'), "solgrid/farm/relay/B/set");
    EXPECT_EQ(t.switch_state('B'), "solgrid/farm/relay/B/state");
    EXPECT_EQ(t.relay_set("esp"), "solgrid/farm/esp/relay/set");
    auto subs = subscriptions("farm");
    EXPECT_EQ(subs, (std::vector<std::string>{"solgrid/farm/+/telemetry", "solgrid/farm/+/status",
                                              "solgrid/farm/+/relay/state", "solgrid/farm/relay/+/set"}));
    // Each built inbound topic classifies back.
    EXPECT_EQ(parse_topic("farm", t.telemetry("esp"))->kind, inbound_kind::telemetry);
    EXPECT_EQ(parse_topic("farm", t.relay_state("esp"))->kind, inbound_kind::relay_state);
    EXPECT_EQ(parse_topic("farm", t.device_status("esp"))->kind, inbound_kind::status);
    EXPECT_EQ(parse_topic("farm", t.switch_set('D'))->household, 3u);
}

TEST(MqttTopics, SmallPayloads) {
    EXPECT_EQ(parse_online("online"), true);
    EXPECT_EQ(parse_online(" OFFLINE\n"), false);
    EXPECT_FALSE(parse_online("gone"));
    EXPECT_EQ(parse_switch("ON"), true);
    EXPECT_EQ(parse_switch("off"), false);
    EXPECT_FALSE(parse_switch("toggle"));
    EXPECT_FALSE(parse_switch(""));
}

TEST(MqttDiscovery, FourSensorsAndFourSwitchesWithAvailabilityAndUniqueIds) {
    auto configs = discovery_configs(topics("farm"), "test");
    ASSERT_EQ(configs.size(), 8u);
    std::set<std::string> ids;
    int switches = 0;
    for (const auto& d : configs) {
        const auto& c = d.config;
        EXPECT_EQ(c.at("availability_topic").as_string(), "solgrid/farm/server/status");
        EXPECT_TRUE(c.at("device").as_object().contains("identifiers"));
        ids.insert(std::string(c.at("unique_id").as_string()));
        if (d.topic.rfind("homeassistant/switch/", 0) == 0) {
            ++switches;
            auto letter = std::string(c.at("unique_id").as_string()).back();
            EXPECT_EQ(d.topic, std::string("homeassistant/switch/solgrid_farm_relay_") + letter + "/config");
            EXPECT_EQ(c.at("command_topic").as_string(), std::string("solgrid/farm/relay/") + letter + "/set");
            EXPECT_EQ(parse_topic("farm", c.at("command_topic").as_string())->kind, inbound_kind::switch_set);
        } else {
            EXPECT_EQ(d.topic.rfind("homeassistant/sensor/solgrid_farm_", 0), 0u) << d.topic;
            EXPECT_EQ(c.at("state_topic").as_string(), "solgrid/farm/state");
            EXPECT_TRUE(c.contains("unit_of_measurement"));
            EXPECT_TRUE(c.contains("value_template"));
        }
    }
    EXPECT_EQ(switches, 4);
    EXPECT_EQ(ids.size(), 8u);
}

TEST(MqttInbound, TelemetryTakesTheSensorPostRules) {
    domain::reading_limits limits;
    auto ok = read_inbound("default", "solgrid/default/esp/telemetry", R"({"soc":85,"solar_w":120.5,"lux":30000})", limits);
    ASSERT_TRUE(ok);
    ASSERT_TRUE(ok->telemetry);
    EXPECT_EQ(ok->telemetry->value.soc, 85);
    EXPECT_TRUE(ok->problem.empty());
    struct row {
        const char* payload;
        const char* named;
    };
    for (auto r : {row{R"({"soc":101,"solar_w":1,"lux":1})", "soc"}, row{R"({"solar_w":1,"lux":1})", "soc"},
                   row{R"({"soc":50,"solar_w":-1,"lux":1})", "solar_w"}, row{R"({"soc":50,"solar_w":1})", "lux"},
                   row{R"({"soc":50,"soc":51,"solar_w":1,"lux":1})", "soc"}, row{"not json", "JSON"},
                   row{"[1,2]", "object"}, row{R"({"soc":50,"solar_w":1,"lux":1,"relays":{"A":1}})", "relays"},
                   row{R"({"soc":50,"solar_w":1,"lux":1,"meter_wh":{"E":1}})", "meter_wh.E"}}) {
        auto in = read_inbound("default", "solgrid/default/esp/telemetry", r.payload, limits);
        ASSERT_TRUE(in) << r.payload;
        EXPECT_FALSE(in->telemetry) << r.payload;
        EXPECT_NE(in->problem.find(r.named), std::string::npos) << r.payload << " → " << in->problem;
    }
    auto big = read_inbound("default", "solgrid/default/esp/telemetry", std::string(max_payload_bytes + 1, ' '), limits);
    EXPECT_NE(big->problem.find("limit"), std::string::npos);
    auto cleared = read_inbound("default", "solgrid/default/esp/telemetry", "", limits);
    EXPECT_TRUE(cleared->cleared);
    EXPECT_FALSE(read_inbound("default", "solgrid/x/esp/telemetry", "{}", limits));
}

TEST(MqttInbound, RelayStateStatusAndSwitch) {
    domain::reading_limits limits;
    auto top = read_inbound("s", "solgrid/s/esp/relay/state", R"({"A":true,"B":false,"C":true,"D":false,"version":7})", limits);
    ASSERT_TRUE(top && top->relays);
    EXPECT_TRUE(top->relays->state.on[0]);
    EXPECT_TRUE(top->relays->state.on[2]);
    EXPECT_EQ(top->relays->version, 7);
    auto nested = read_inbound("s", "solgrid/s/esp/relay/state",
                               R"({"relays":{"A":false,"B":true,"C":false,"D":false},"relay_version":9})", limits);
    ASSERT_TRUE(nested && nested->relays);
    EXPECT_TRUE(nested->relays->state.on[1]);
    for (const char* bad : {R"({"A":true})", R"({"hello":1})", "ON", R"({"relays":{"A":"yes","B":false,"C":false,"D":false}})"}) {
        auto in = read_inbound("s", "solgrid/s/esp/relay/state", bad, limits);
        EXPECT_FALSE(in->relays) << bad;
        EXPECT_FALSE(in->problem.empty()) << bad;
    }
    EXPECT_EQ(read_inbound("s", "solgrid/s/esp/status", "offline", limits)->online, false);
    EXPECT_FALSE(read_inbound("s", "solgrid/s/esp/status", "asleep", limits)->problem.empty());
    EXPECT_EQ(read_inbound("s", "solgrid/s/relay/A/set", "ON", limits)->on, true);
    EXPECT_FALSE(read_inbound("s", "solgrid/s/relay/A/set", "{\"A\":true}", limits)->problem.empty());
}
