#include "solgrid_fw/json_scan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace solgrid_fw;

namespace {
std::string find(const char* json, const char* path) {
    json_span v;
    if (!json_find(json, std::strlen(json), path, v)) return "<none>";
    return std::string(v.p, v.n);
}
}  // namespace

TEST(FirmwareJson, FindsNestedValues) {
    const char* reply =
        R"({"success":true,"message":"sensor data saved","data":{"soc":85,"solar_w":1.2E2,)"
        R"("relays":{"A":true,"B":false,"C":false,"D":true},"relay_version":1764599128123}})";
    EXPECT_EQ(find(reply, "success"), "true");
    EXPECT_EQ(find(reply, "data.soc"), "85");
    EXPECT_EQ(find(reply, "data.relays.D"), "true");
    EXPECT_EQ(find(reply, "data.relays"), R"({"A":true,"B":false,"C":false,"D":true})");
    EXPECT_EQ(find(reply, "data.relay_version"), "1764599128123");
    EXPECT_EQ(find(reply, "data.relays.E"), "<none>");
    EXPECT_EQ(find(reply, "soc"), "<none>");  // only at the top level
    EXPECT_EQ(find(reply, "message.x"), "<none>");
}

TEST(FirmwareJson, SkipsTrickyStringsAndArrays) {
    const char* doc = R"( { "note" : "a \"quoted\" {brace} and \\ \u00e9" , "list":[1,[2,{"A":false}],"]"] , "A" : true } )";
    EXPECT_EQ(find(doc, "A"), "true");
    EXPECT_EQ(find(doc, "list"), R"([1,[2,{"A":false}],"]"])");
    EXPECT_TRUE(json_valid(doc, std::strlen(doc)));
}

TEST(FirmwareJson, RejectsMalformedText) {
    for (const char* bad : {"", "{", R"({"A":})", R"({"A":tru})", R"({"A":true,})", R"({"A" true})", R"({"A":"x)",
                            R"({"A":01})", R"({"A":1.})", R"({"A":"\q"})", "[1,2", R"({"A":true} x)"}) {
        EXPECT_FALSE(json_valid(bad, std::strlen(bad))) << bad;
    }
    json_span v;
    EXPECT_FALSE(json_find(R"({"B":tru,"A":true})", 18, "A", v));  // malformed before the key
    EXPECT_FALSE(json_find(nullptr, 0, "A", v));
}

TEST(FirmwareJson, NeverReadsPastTheLength) {
    const char* doc = R"({"A":true}{"B":true})";
    json_span v;
    EXPECT_TRUE(json_find(doc, 10, "A", v));
    EXPECT_FALSE(json_find(doc, 10, "B", v));
    EXPECT_FALSE(json_find(doc, 8, "A", v));  // cut inside the value
}

TEST(FirmwareJson, DeepNestingIsRefused) {
    std::string deep(40, '[');
    deep += std::string(40, ']');
    EXPECT_FALSE(json_valid(deep.data(), deep.size()));
}

TEST(FirmwareJson, ReadsBooleansAndIntegers) {
    bool b = false;
    EXPECT_TRUE(json_bool({"true", 4}, b));
    EXPECT_TRUE(b);
    EXPECT_TRUE(json_bool({"false", 5}, b));
    EXPECT_FALSE(b);
    EXPECT_FALSE(json_bool({"1", 1}, b));
    std::int64_t n = 0;
    EXPECT_TRUE(json_int64({"1764599128123", 13}, n));
    EXPECT_EQ(n, 1764599128123);
    EXPECT_TRUE(json_int64({"-42", 3}, n));
    EXPECT_EQ(n, -42);
    EXPECT_TRUE(json_int64({"9223372036854775807", 19}, n));
    EXPECT_EQ(n, INT64_MAX);
    EXPECT_FALSE(json_int64({"9223372036854775808", 19}, n));
    EXPECT_FALSE(json_int64({"1.5", 3}, n));
    EXPECT_FALSE(json_int64({"-", 1}, n));
    EXPECT_FALSE(json_int64({"", 0}, n));
}
