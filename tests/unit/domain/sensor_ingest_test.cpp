// The sensor-post use-case: one parse of the document (reading + the
// device's relay report), then store, broadcast, device seen, reply.
#include "domain/sensor_ingest.hpp"

#include "ingest_services.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::domain;

namespace {

parsed_sensor_post parse(std::string_view text, reading_limits limits = {}) {
    return parse_sensor_post(boost::json::parse(text), limits);
}

// The services a sensor post goes through, over in-memory stores.
struct ingest_fixture : ::testing::Test, test::ingest_services {};

}  // namespace

TEST(SensorPost, ParsesTheSeedsExampleAndIntegralFloatSoc) {
    auto p = parse(R"({"soc": 85, "solar_w": 120, "lux": 35000})");
    ASSERT_TRUE(p.value);
    EXPECT_EQ(p.value->value.soc, 85);
    EXPECT_DOUBLE_EQ(p.value->value.solar_w, 120);
    EXPECT_FALSE(p.value->relays);
    EXPECT_EQ(parse(R"({"soc": 85.0, "solar_w": 120.5, "lux": 0})").value->value.soc, 85);
}

TEST(SensorPost, TakesTheDevicesRelayReport) {
    auto p = parse(R"({"soc": 85, "solar_w": 1, "lux": 1, "relays": {"A": true, "B": false, "C": false, "D": true},
                      "relay_version": 7})");
    ASSERT_TRUE(p.value);
    ASSERT_TRUE(p.value->relays);
    EXPECT_EQ(p.value->relays->state, (relay_state{{true, false, false, true}}));
}

TEST(SensorPost, NamesTheBadField) {
    struct tc {
        const char* body;
        const char* field;
    } cases[] = {
        {R"({"solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": "85", "solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": 85.5, "solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": 101, "solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": true, "solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": 1e300, "solar_w": 1, "lux": 1})", "soc"},
        {R"({"soc": 50, "lux": 1})", "solar_w"},
        {R"({"soc": 50, "solar_w": null, "lux": 1})", "solar_w"},
        {R"({"soc": 50, "solar_w": 1e308, "lux": 1})", "solar_w"},
        {R"({"soc": 50, "solar_w": 1, "lux": "bright"})", "lux"},
        {R"({"soc": 50, "solar_w": 1, "lux": 200001})", "lux"},
        {R"({"soc": 50, "solar_w": 1, "lux": 1, "relays": {"A": 1}})", "relays"},
        {R"([1, 2])", ""},
    };
    for (auto& c : cases) {
        auto p = parse(c.body);
        EXPECT_FALSE(p.value) << c.body;
        EXPECT_EQ(p.problem.field, c.field) << c.body;
        EXPECT_FALSE(p.problem.message.empty()) << c.body;
    }
}

TEST(SensorPost, TakesMeterCountersPerHousehold) {
    auto p = parse(R"({"soc": 85, "solar_w": 1, "lux": 1, "meter_wh": {"A": 1234.5, "C": 0, "D": 1000000000000}})");
    ASSERT_TRUE(p.value) << p.problem.message;
    EXPECT_EQ(p.value->meter_wh[0], 1234.5);
    EXPECT_EQ(p.value->meter_wh[1], std::nullopt);
    EXPECT_EQ(p.value->meter_wh[2], 0.0);
    EXPECT_EQ(p.value->meter_wh[3], 1e12);
    // Without meter_wh (the seed's Arduino), or with none of them, there are no counters.
    for (auto body : {R"({"soc": 85, "solar_w": 1, "lux": 1})", R"({"soc": 85, "solar_w": 1, "lux": 1, "meter_wh": {}})"}) {
        auto q = parse(body);
        ASSERT_TRUE(q.value) << body;
        for (const auto& m : q.value->meter_wh) EXPECT_EQ(m, std::nullopt) << body;
    }
}

TEST(SensorPost, NamesTheBadMeter) {
    struct tc {
        const char* meters;
        const char* field;
    } cases[] = {
        {R"([1, 2])", "meter_wh"},
        {R"(1234)", "meter_wh"},
        {R"(null)", "meter_wh"},
        {R"("A:5")", "meter_wh"},
        {R"({"E": 1})", "meter_wh.E"},
        {R"({"a": 1})", "meter_wh.a"},
        {R"({"AB": 1})", "meter_wh.AB"},
        {R"({"": 1})", "meter_wh.?"},
        {R"({"A": 1, "pool": 2})", "meter_wh.pool"},
        {R"({"A": -0.5})", "meter_wh.A"},
        {R"({"B": 1e13})", "meter_wh.B"},
        {R"({"C": "12"})", "meter_wh.C"},
        {R"({"D": null})", "meter_wh.D"},
        {R"({"A": true})", "meter_wh.A"},
        {R"({"A": {"wh": 1}})", "meter_wh.A"},
        {R"({"A": 1e400})", "meter_wh.A"},
    };
    for (auto& c : cases) {
        const std::string body = std::string(R"({"soc": 50, "solar_w": 1, "lux": 1, "meter_wh": )") + c.meters + "}";
        boost::system::error_code ec;
        auto doc = boost::json::parse(body, ec);
        if (ec) continue;  // 1e400 does not parse as JSON here; the HTTP layer refuses it before
        auto p = parse_sensor_post(doc, {});
        EXPECT_FALSE(p.value) << body;
        EXPECT_EQ(p.problem.field, c.field) << body;
        EXPECT_NE(p.problem.message.find(c.field), std::string::npos) << body << " -> " << p.problem.message;
    }
}

using SensorIngest = ingest_fixture;

TEST_F(SensorIngest, StoresBroadcastsMarksTheDeviceSeenAndRepliesWithTheDesiredRelays) {
    relay_patch on_b;
    on_b.on[1] = true;
    test::run(ioc, relays.update(on_b, "api"));
    auto post = parse(R"({"soc": 85, "solar_w": 120, "lux": 35000, "relays": {"A": false, "B": true, "C": false, "D": false}})");
    ASSERT_TRUE(post.value);
    auto result = test::run(ioc, ingest.ingest(*post.value, "192.0.2.7"));

    ASSERT_EQ(readings_store.rows.size(), 1u);
    EXPECT_EQ(result.stored.id, 1);
    EXPECT_EQ(readings.latest()->value.soc, 85);
    ASSERT_EQ(events.of("new_sun_data").size(), 1u);
    EXPECT_EQ(events.of("new_sun_data")[0].at("soc"), 85);
    EXPECT_TRUE(monitor.online());
    EXPECT_EQ(monitor.status_json().at("address"), "192.0.2.7");
    EXPECT_TRUE(relays.view().reported);
    auto reply = sensor_ingest::reply_json(result);
    EXPECT_EQ(reply.at("id"), 1);
    EXPECT_EQ(reply.at("relays").at("B"), true);
    EXPECT_EQ(reply.at("relay_version"), result.desired.version);
}

TEST_F(SensorIngest, AStoreFailureStoresAndAnnouncesNothing) {
    readings_store.fail = true;
    auto post = parse(R"({"soc": 85, "solar_w": 120, "lux": 35000})");
    EXPECT_THROW(test::run(ioc, ingest.ingest(*post.value, "192.0.2.7")), storage_unavailable);
    EXPECT_TRUE(events.of("new_sun_data").empty());
    EXPECT_FALSE(monitor.online());
    EXPECT_FALSE(readings.latest());
}
