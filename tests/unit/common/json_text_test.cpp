#include "common/json_text.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <limits>

using solgrid::common::json_text;

TEST(JsonText, NumbersReadAsPeopleWriteThem) {
    EXPECT_EQ(json_text(86.4), "86.4");
    EXPECT_EQ(json_text(120.0), "120");
    EXPECT_EQ(json_text(0.1), "0.1");
    EXPECT_EQ(json_text(-2.5), "-2.5");
    EXPECT_EQ(json_text(1e21), "1000000000000000000000");  // never an exponent
    EXPECT_EQ(json_text(0.0001), "0.0001");
    EXPECT_EQ(json_text(-0.0), "0");
    EXPECT_EQ(json_text(std::int64_t{-7}), "-7");
    EXPECT_EQ(json_text(std::uint64_t{18446744073709551615ull}), "18446744073709551615");
    EXPECT_EQ(json_text(std::numeric_limits<double>::infinity()), "null");
}

// The one number formatter (JSON, Socket.IO, CSV): shortest fixed notation
// that reads back to the same double.
TEST(JsonText, NumberTextRoundTrips) {
    using solgrid::common::number_text;
    EXPECT_EQ(number_text(120), "120");
    EXPECT_EQ(number_text(120.5), "120.5");
    EXPECT_EQ(number_text(85.0 / 3), "28.333333333333332");
    EXPECT_EQ(number_text(1e20), "100000000000000000000");
    for (double d : {86.4, 1e-7, 123456.789, 5e-324, 1.7976931348623157e308, -0.001})
        EXPECT_EQ(std::strtod(number_text(d).c_str(), nullptr), d) << number_text(d);
}

TEST(JsonText, RoundTripsThroughAParser) {
    auto v = boost::json::parse(
        R"({"a":[1,2.25,"x\"y\n\u00e9",true,null,{"k":-0.001}],"soc":85,"solar_w":86.4,"키":"값"})");
    auto text = json_text(v);
    EXPECT_EQ(boost::json::parse(text), v);
    EXPECT_NE(text.find("\"solar_w\":86.4"), std::string::npos);
    EXPECT_NE(text.find("\"soc\":85"), std::string::npos);
}

TEST(JsonText, EmptyContainersAndEscapedKeys) {
    EXPECT_EQ(json_text(boost::json::object{}), "{}");
    EXPECT_EQ(json_text(boost::json::array{}), "[]");
    EXPECT_EQ(json_text(boost::json::object{{"a\"b", 1}}), R"({"a\"b":1})");
}

// Found by fuzz_http_request: a Content-Type with bytes that are not UTF-8,
// echoed in the 415 answer, made the answer invalid JSON.
TEST(JsonText, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    auto text = [](std::string s) { return solgrid::common::json_text(boost::json::string(s)); };
    EXPECT_EQ(text("appli\xff\xfe" "cation"), "\"appli\xEF\xBF\xBD\xEF\xBF\xBD" "cation\"");
    EXPECT_EQ(text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    for (std::string bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\xe2\x82", "\x80",
                            "\xf8\x88\x80\x80\x80"}) {
        auto out = text("x" + bad + "y");
        boost::system::error_code ec;
        auto back = boost::json::parse(out, ec);
        ASSERT_FALSE(ec) << out;
        auto s = std::string(back.as_string());
        EXPECT_EQ(s.front(), 'x');
        EXPECT_EQ(s.back(), 'y');
        EXPECT_NE(s.find("\xEF\xBF\xBD"), std::string::npos);
    }
    boost::json::object o;
    o["k\xff"] = "v";
    boost::system::error_code ec;
    boost::json::parse(solgrid::common::json_text(o), ec);
    EXPECT_FALSE(ec);
}
