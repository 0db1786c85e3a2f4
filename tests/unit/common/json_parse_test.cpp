#include "common/json_parse.hpp"
#include "common/json_text.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

using solgrid::common::parse_json_strict;

TEST(JsonParseStrict, ParsesWhatBoostParses) {
    for (auto text : {R"({"soc":85,"solar_w":120.5,"lux":35000})", R"([1,"x",null,true,{"a":[{}]}])", "42",
                      R"("text")", " { \"a\" : { \"b\" : [ 1 , 2 ] } } \n", R"({"A":1,"a":2})",
                      R"({"a":{"k":1},"b":{"k":2}})", R"([{"k":1},{"k":2}])"}) {
        auto r = parse_json_strict(text);
        ASSERT_TRUE(r.value) << text << ": " << r.error;
        EXPECT_EQ(*r.value, boost::json::parse(text)) << text;
        EXPECT_TRUE(r.error.empty());
    }
}

TEST(JsonParseStrict, RefusesDuplicateKeysAtAnyDepthNamingWhere) {
    struct tc {
        const char* text;
        const char* where;
    } cases[] = {
        {R"({"A":true,"A":false})", "A"},
        {R"({"A":true,"B":false,"A":true})", "A"},
        {R"({"A":1,"\u0041":2})", "A"},  // the same key once unescaped
        {R"({"relays":{"A":true,"A":false}})", "relays.A"},
        {R"({"x":[1,{"id":1,"id":2}]})", "x[1].id"},
        {R"([{"k":1},{"k":1,"k":2}])", "[1].k"},
        {R"({"a":{"b":{"c":{"d":1,"d":2}}}})", "a.b.c.d"},
        {R"({"\u00e9":1,"é":2})", "é"},
    };
    for (auto& c : cases) {
        auto r = parse_json_strict(c.text);
        EXPECT_FALSE(r.value) << c.text;
        EXPECT_EQ(r.duplicate_key, c.where) << c.text;
        EXPECT_NE(r.error.find("duplicate key"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find(c.where), std::string::npos) << r.error;
    }
}

TEST(JsonParseStrict, RefusesMalformedInputWithAMessage) {
    std::string deep_array(100000, '[');
    std::string deep_object;
    for (int i = 0; i < 5000; ++i) deep_object += R"({"a":)";
    for (const std::string& text : std::initializer_list<std::string>{
             "", " ", "{", "}", R"({"a":1,})", R"({"a":1} x)", R"({"a":1}{"b":2})", "[1,2]]", R"({"a":})",
             R"({a:1})", "{'a':1}", "nul", "01", R"({"a":1} // c)", R"({"a":"\x"})", std::string("{\"a\":1}\0", 8),
             "\"\xff\"", deep_array, deep_object}) {
        auto r = parse_json_strict(text);
        EXPECT_FALSE(r.value) << text.substr(0, 40);
        EXPECT_FALSE(r.error.empty());
        EXPECT_TRUE(r.duplicate_key.empty());
    }
}

TEST(JsonParseStrict, NestingLimitIsConfigurable) {
    EXPECT_TRUE(parse_json_strict("[[[1]]]", 3).value);
    auto r = parse_json_strict("[[[[1]]]]", 3);
    EXPECT_FALSE(r.value);
    EXPECT_NE(r.error.find("deeper than 3"), std::string::npos) << r.error;
}

// Found by fuzz_validators: Boost.JSON 1.81 read 0.00012250738585072013 (the
// text common::number_text writes for that double) one unit in the last
// place low, so a reading written back did not read back the same.
TEST(JsonParseStrict, ReadsEveryNumberAsTheDoubleItNames) {
    for (const char* text : {"0.00012250738585072013", "1.2250738585072014e-4", "120.5", "2.2250738585072014e-308",
                             "5e-324", "1.7976931348623157e308", "0.1", "-0.30000000000000004"}) {
        auto r = solgrid::common::parse_json_strict(text);
        ASSERT_TRUE(r.value) << text;
        EXPECT_EQ(r.value->as_double(), std::strtod(text, nullptr)) << text;
    }
    auto written = solgrid::common::number_text(0.00012250738585072013);
    auto back = solgrid::common::parse_json_strict(written);
    ASSERT_TRUE(back.value);
    EXPECT_EQ(back.value->as_double(), 0.00012250738585072013) << written;
    // Out of range: what Boost answered before (inf), for the validators to refuse.
    auto huge = solgrid::common::parse_json_strict("1e999");
    ASSERT_TRUE(huge.value);
    EXPECT_TRUE(std::isinf(huge.value->as_double()));
}
