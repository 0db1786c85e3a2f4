// The bridge's inbound paths over in-memory stores, without a broker (the
// client is never started; the real broker is in tests/integration/mqtt.test.mjs):
// the bounded queue, the sensor-post path, reports, health and Home Assistant commands.
#include "mqtt/bridge.hpp"

#include "../domain/ingest_services.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain;

namespace {

struct MqttBridge : ::testing::Test, test::ingest_services {
    std::optional<std::string> block;  // what the market says about every relay

    std::unique_ptr<mqtt::bridge> make(std::size_t max_queued = 64) {
        mqtt::bridge_settings s;
        s.connection.host = "127.0.0.1";
        s.connection.port = 1;
        s.max_queued = max_queued;
        mqtt::bridge_context ctx{readings, relays, ingest, monitor,
                                 [this](std::size_t) { return block; }, {}};
        return std::make_unique<mqtt::bridge>(ioc.get_executor(), std::move(s), std::move(ctx));
    }
    void run() {
        ioc.restart();
        ioc.run();
    }
    static std::string reading_json(int soc) {
        return R"({"soc":)" + std::to_string(soc) + R"(,"solar_w":10,"lux":100})";
    }
};

}  // namespace

TEST_F(MqttBridge, TelemetryIsStoredInOrderAndTheQueueIsBounded) {
    auto b = make(3);
    for (int soc = 1; soc <= 5; ++soc) b->take("solgrid/default/dev/telemetry", reading_json(soc));
    EXPECT_EQ(b->dropped(), 2u);  // the io loop has not run: the queue holds three
    run();
    ASSERT_EQ(readings_store.rows.size(), 3u);
    EXPECT_EQ(readings_store.rows[0].value.soc, 1);
    EXPECT_EQ(readings_store.rows[2].value.soc, 3);
    EXPECT_EQ(events.of("new_sun_data").size(), 3u);
    EXPECT_TRUE(monitor.online());
    EXPECT_EQ(monitor.status_json().at("address").as_string(), "mqtt:dev");
    // Room again once drained.
    b->take("solgrid/default/dev/telemetry", reading_json(9));
    run();
    EXPECT_EQ(readings_store.rows.back().value.soc, 9);
    EXPECT_EQ(b->dropped(), 2u);
}

TEST_F(MqttBridge, BadOrForeignMessagesStoreNothing) {
    auto b = make();
    for (const char* payload : {R"({"soc":101,"solar_w":1,"lux":1})", "{", R"({"soc":1,"soc":2,"solar_w":1,"lux":1})", ""})
        b->take("solgrid/default/dev/telemetry", payload);
    b->take("solgrid/other-site/dev/telemetry", reading_json(5));
    b->take("solgrid/default/dev/relay/state", R"({"A":1})");
    b->take("solgrid/default/relay/A/set", "maybe");
    run();
    EXPECT_TRUE(readings_store.rows.empty());
    EXPECT_EQ(events.of("new_sun_data").size(), 0u);
    EXPECT_TRUE(relay_store.sources.empty());
    EXPECT_FALSE(relays.view().reported);
}

TEST_F(MqttBridge, RelayStateIsTheReportAndStatusIsHealth) {
    auto b = make();
    b->take("solgrid/default/dev/status", "online");
    run();
    EXPECT_TRUE(monitor.online());
    b->take("solgrid/default/dev/relay/state", R"({"A":true,"B":false,"C":false,"D":true})");
    run();
    auto v = relays.view();
    ASSERT_TRUE(v.reported);
    EXPECT_TRUE(v.reported->state.on[0]);
    EXPECT_TRUE(v.shown.on[3]);
    b->take("solgrid/default/dev/status", "offline");
    run();
    EXPECT_FALSE(monitor.online());
    EXPECT_EQ(monitor.status_json().at("status").as_string(), "offline");
}

TEST_F(MqttBridge, HomeAssistantCommandsGoThroughTheRelayServiceAndTheMarketRule) {
    auto b = make();
    b->take("solgrid/default/relay/B/set", "ON");
    run();
    EXPECT_TRUE(relays.desired().state.on[1]);
    ASSERT_EQ(relay_store.sources.size(), 1u);
    EXPECT_EQ(relay_store.sources[0], "mqtt");
    block = "balance";  // the market holds relay C off: ON is refused, OFF is not
    b->take("solgrid/default/relay/C/set", "ON");
    b->take("solgrid/default/relay/B/set", "OFF");
    run();
    EXPECT_FALSE(relays.desired().state.on[2]);
    EXPECT_FALSE(relays.desired().state.on[1]);
    EXPECT_EQ(relay_store.sources.size(), 2u);
}
