#include "solgrid_fw/mqtt_link.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace solgrid_fw;

namespace {

// Records what the link asks of PubSubClient.
struct fake_transport : mqtt_transport {
    bool up = false;
    bool accept = true;
    struct connect_call {
        std::string id, user, will_topic, will_message;
        bool has_user = false, has_password = false;
        int will_qos = -1;
        bool will_retain = false;
    };
    std::vector<connect_call> connects;
    struct pub {
        std::string topic, payload;
        bool retained;
    };
    std::vector<pub> published;
    std::vector<std::string> subscribed;

    bool connect(const char* id, const char* user, const char* password, const char* will_topic, std::uint8_t will_qos,
                 bool will_retain, const char* will_message) override {
        connects.push_back({id, user ? user : "", will_topic, will_message, user != nullptr, password != nullptr,
                            will_qos, will_retain});
        up = accept;
        return up;
    }
    bool connected() override { return up; }
    bool publish(const char* topic, const char* payload, bool retained) override {
        if (!up) return false;
        published.push_back({topic, payload, retained});
        return true;
    }
    bool subscribe(const char* topic, std::uint8_t) override {
        subscribed.push_back(topic);
        return true;
    }
};

relay_set make(bool a, bool b, bool c, bool d) {
    relay_set r;
    r.on[0] = a, r.on[1] = b, r.on[2] = c, r.on[3] = d;
    return r;
}

const std::uint8_t* bytes(const char* s) { return reinterpret_cast<const std::uint8_t*>(s); }

}  // namespace

TEST(FirmwareMqtt, TopicsFollowTheServersTree) {
    mqtt_topics t;
    ASSERT_TRUE(build_mqtt_topics(t, "farm", "esp32-1"));
    EXPECT_STREQ(t.telemetry, "solgrid/farm/esp32-1/telemetry");
    EXPECT_STREQ(t.status, "solgrid/farm/esp32-1/status");
    EXPECT_STREQ(t.relay_set, "solgrid/farm/esp32-1/relay/set");
    EXPECT_STREQ(t.relay_state, "solgrid/farm/esp32-1/relay/state");
    EXPECT_STREQ(t.server_status, "solgrid/farm/server/status");
    EXPECT_FALSE(build_mqtt_topics(t, "farm", "a/b"));
    EXPECT_FALSE(build_mqtt_topics(t, "farm", "+"));
    EXPECT_FALSE(build_mqtt_topics(t, "", "dev"));
    EXPECT_FALSE(build_mqtt_topics(t, "farm", std::string(65, 'x').c_str()));
}

TEST(FirmwareMqtt, ConnectSetsTheLastWillThenSaysOnlineSubscribesAndReportsRelays) {
    fake_transport t;
    mqtt_link link(t, "default", "esp32-1", "dev", "pw");
    ASSERT_TRUE(link.valid());
    ASSERT_TRUE(link.ensure_connected(make(true, false, false, true), 42));
    ASSERT_EQ(t.connects.size(), 1u);
    const auto& c = t.connects[0];
    EXPECT_EQ(c.id, "solgrid-esp32-1");
    EXPECT_EQ(c.user, "dev");
    EXPECT_TRUE(c.has_password);
    EXPECT_EQ(c.will_topic, "solgrid/default/esp32-1/status");
    EXPECT_EQ(c.will_message, "offline");
    EXPECT_EQ(c.will_qos, 1);
    EXPECT_TRUE(c.will_retain);
    ASSERT_EQ(t.published.size(), 2u);
    EXPECT_EQ(t.published[0].topic, "solgrid/default/esp32-1/status");
    EXPECT_EQ(t.published[0].payload, "online");
    EXPECT_TRUE(t.published[0].retained);
    EXPECT_EQ(t.published[1].topic, "solgrid/default/esp32-1/relay/state");
    EXPECT_EQ(t.published[1].payload, R"({"A":true,"B":false,"C":false,"D":true,"version":42})");
    EXPECT_TRUE(t.published[1].retained);
    EXPECT_EQ(t.subscribed,
              (std::vector<std::string>{"solgrid/default/esp32-1/relay/set", "solgrid/default/server/status"}));
    // Connected: no second connect.
    EXPECT_TRUE(link.ensure_connected(make(true, false, false, true), 42));
    EXPECT_EQ(t.connects.size(), 1u);
}

TEST(FirmwareMqtt, AnonymousWhenNoCredentialsAndFalseWhenRefused) {
    fake_transport t;
    t.accept = false;
    mqtt_link link(t, "default", "dev", "", nullptr);
    EXPECT_FALSE(link.ensure_connected(relay_set{}, 0));
    ASSERT_EQ(t.connects.size(), 1u);
    EXPECT_FALSE(t.connects[0].has_user);
    EXPECT_FALSE(t.connects[0].has_password);
    EXPECT_TRUE(t.published.empty());
    EXPECT_FALSE(link.publish_reading(reading{}, relay_set{}, 0));
}

TEST(FirmwareMqtt, ReadingsAreTheSensorPostBody) {
    fake_transport t;
    mqtt_link link(t, "default", "dev", nullptr, nullptr);
    link.ensure_connected(relay_set{}, 0);
    reading r;
    r.soc = 85, r.solar_w = 120.5f, r.lux = 35000;
    ASSERT_TRUE(link.publish_reading(r, make(false, true, false, false), 7));
    const auto& p = t.published.back();
    EXPECT_EQ(p.topic, "solgrid/default/dev/telemetry");
    EXPECT_FALSE(p.retained);
    char post[512];
    build_reading_json(post, sizeof post, r, make(false, true, false, false), 7);
    EXPECT_EQ(p.payload, post);
}

TEST(FirmwareMqtt, MessagesAreCommandsOrTheServersStatus) {
    fake_transport t;
    mqtt_link link(t, "default", "dev", nullptr, nullptr);
    link.ensure_connected(relay_set{}, 0);
    relay_command cmd;
    const char* problem = "";
    const char* body = R"({"A":true,"B":false,"C":true,"D":false,"version":1764000000000})";
    EXPECT_EQ(link.on_message("solgrid/default/dev/relay/set", bytes(body), std::strlen(body), relay_set{}, cmd, &problem),
              mqtt_link::message::command);
    EXPECT_TRUE(cmd.state.on[0]);
    EXPECT_TRUE(cmd.state.on[2]);
    EXPECT_TRUE(cmd.has_version);
    EXPECT_EQ(cmd.version, 1764000000000);
    const char* bad = R"({"A":"yes"})";
    EXPECT_EQ(link.on_message("solgrid/default/dev/relay/set", bytes(bad), std::strlen(bad), relay_set{}, cmd, &problem),
              mqtt_link::message::bad_command);
    EXPECT_GT(std::strlen(problem), 0u);
    EXPECT_EQ(link.on_message("solgrid/default/other/relay/set", bytes(body), std::strlen(body), relay_set{}, cmd, &problem),
              mqtt_link::message::ignored);
    EXPECT_FALSE(link.server_online());
    EXPECT_EQ(link.on_message("solgrid/default/server/status", bytes("online"), 6, relay_set{}, cmd, &problem),
              mqtt_link::message::server_online);
    EXPECT_TRUE(link.server_online());
    EXPECT_EQ(link.on_message("solgrid/default/server/status", bytes("offline"), 7, relay_set{}, cmd, &problem),
              mqtt_link::message::server_offline);
    EXPECT_FALSE(link.server_online());
}
