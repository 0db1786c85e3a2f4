#include "http/api_routes.hpp"

#include <gtest/gtest.h>

using namespace solgrid::http_api;

// What the fields of a sensor post must be is the domain's (tests/unit/domain/
// sensor_ingest_test.cpp); here: the JSON text itself.
TEST(ParseReading, AcceptsTheSeedsExample) {
    auto r = parse_sensor_body(R"({"soc": 85, "solar_w": 120, "lux": 35000})");
    ASSERT_TRUE(r.value);
    EXPECT_EQ(r.value->value.soc, 85);
}

TEST(ParseReading, RejectsMalformedJsonAndNonObjects) {
    for (auto body : {"", "{", "[1,2]", "42", "{\"soc\":}", "null"}) {
        auto r = parse_sensor_body(body);
        EXPECT_FALSE(r.value) << body;
        EXPECT_FALSE(r.problem.message.empty());
    }
}

TEST(ParseRelayPatch, AcceptsSubsets) {
    auto p = parse_relay_patch(R"({"A": true, "C": false})");
    ASSERT_TRUE(p.value);
    EXPECT_EQ(p.value->on[0], true);
    EXPECT_FALSE(p.value->on[1].has_value());
    EXPECT_EQ(p.value->on[2], false);
}

TEST(ParseRelayPatch, RejectsNonBooleansUnknownKeysAndEmpty) {
    EXPECT_EQ(parse_relay_patch(R"({"A": 1})").problem.field, "A");
    EXPECT_EQ(parse_relay_patch(R"({"A": "true"})").problem.field, "A");
    EXPECT_EQ(parse_relay_patch(R"({"E": true})").problem.field, "E");
    EXPECT_EQ(parse_relay_patch(R"({"a": true})").problem.field, "a");
    EXPECT_FALSE(parse_relay_patch("{}").value);
    EXPECT_FALSE(parse_relay_patch("[]").value);
}

TEST(ParseBodies, ADuplicateKeyIsRefusedNamingIt) {
    // issue 11 A6: {"A":true,"A":false} meant one of the two, silently.
    auto p = parse_relay_patch(R"({"A":true,"A":false})");
    EXPECT_FALSE(p.value);
    EXPECT_EQ(p.problem.field, "A");
    EXPECT_NE(p.problem.message.find("duplicate"), std::string::npos);
    auto escaped = parse_relay_patch(R"({"B":true,"\u0042":false})");
    EXPECT_FALSE(escaped.value);
    EXPECT_EQ(escaped.problem.field, "B");
    auto r = parse_sensor_body(R"({"soc":50,"solar_w":1,"lux":1,"soc":99})");
    EXPECT_FALSE(r.value);
    EXPECT_EQ(r.problem.field, "soc");
    auto nested = parse_sensor_body(R"({"soc":50,"solar_w":1,"lux":1,"relays":{"A":true,"A":false}})");
    EXPECT_FALSE(nested.value);
    EXPECT_EQ(nested.problem.field, "relays.A");
}
