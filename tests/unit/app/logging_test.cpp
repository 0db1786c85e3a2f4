// LOG_FORMAT=json: every line is one valid JSON object, whatever the message holds.
#include "app/logging.hpp"

#include "common/log_fields.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

using namespace solgrid;

namespace {

std::string format_json(std::string_view message, spdlog::level::level_enum level = spdlog::level::info) {
    auto f = app::make_json_formatter();
    spdlog::details::log_msg msg("", level, spdlog::string_view_t(message.data(), message.size()));
    spdlog::memory_buf_t buf;
    f->format(msg, buf);
    return std::string(buf.data(), buf.size());
}

boost::json::object parse_line(const std::string& line) {
    EXPECT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);  // Boost.JSON rejects invalid UTF-8 in strings
    EXPECT_FALSE(ec) << ec.message() << " in " << line;
    return v.is_object() ? v.as_object() : boost::json::object{};
}

}  // namespace

TEST(LoggingJson, HostileMessagesStayValidJsonAndRoundTrip) {
    const std::string hostile[] = {
        "plain",
        R"(a "quoted" \ backslash)",
        "two\nlines\r\nand a\ttab",
        std::string("nul\0byte and \x01\x1f\x7f controls", 31),
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\x9e",  // valid UTF-8 kept as is
        R"(}{"level":"critical"} injected)",
    };
    for (const auto& m : hostile) {
        auto o = parse_line(format_json(m));
        ASSERT_TRUE(o.contains("message")) << m;
        EXPECT_EQ(std::string(o["message"].as_string()), m);
        EXPECT_EQ(std::string(o["level"].as_string()), "info");
    }
}

TEST(LoggingJson, InvalidUtf8BytesAreEscapedNotPassedThrough) {
    const std::string bad[] = {"\xff\xfe", "trunc\xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
                               "too big \xf5\x80\x80\x80", "lone cont \x80 end"};
    for (const auto& m : bad) {
        auto line = format_json(m);
        auto o = parse_line(line);
        ASSERT_TRUE(o.contains("message")) << line;
        // Each bad byte reads back as the code point of the same value.
        std::string escaped;
        app::append_json_escaped(escaped, m);
        EXPECT_NE(escaped.find("\\u00"), std::string::npos) << escaped;
    }
    auto o = parse_line(format_json("x\xffy"));
    EXPECT_EQ(std::string(o["message"].as_string()), "x\xc3\xbfy");  // U+00FF
}

TEST(LoggingJson, TimeIsIsoUtcWithMillisecondsAndLevelIsNamed) {
    auto o = parse_line(format_json("m", spdlog::level::warn));
    std::string t(o["time"].as_string());
    ASSERT_EQ(t.size(), 24u) << t;  // 2026-11-30T02:00:00.123Z
    EXPECT_EQ(t[10], 'T');
    EXPECT_EQ(t[19], '.');
    EXPECT_EQ(t.back(), 'Z');
    EXPECT_EQ(std::string(o["level"].as_string()), "warning");
}

TEST(LoggingJson, StructuredFieldsBecomeTopLevelKeys) {
    std::vector<common::log_field> fields{{"route", "/api/\"x\"\n"},
                                          {"status", "200", true},
                                          {"duration_ms", "1.250", true},
                                          {"client", "127.0.0.1"},
                                          {"bogus_number", "1,2}", true},
                                          {"dots", "1.2.3", true}};
    std::string line;
    {
        common::scoped_log_fields scope(fields);
        line = format_json("GET /api");
    }
    auto o = parse_line(line);
    EXPECT_EQ(std::string(o["route"].as_string()), "/api/\"x\"\n");
    EXPECT_EQ(o["status"].as_int64(), 200);
    EXPECT_DOUBLE_EQ(o["duration_ms"].as_double(), 1.25);
    EXPECT_EQ(std::string(o["client"].as_string()), "127.0.0.1");
    EXPECT_EQ(std::string(o["bogus_number"].as_string()), "1,2}");  // not a number: quoted
    EXPECT_EQ(std::string(o["dots"].as_string()), "1.2.3");
    // Outside the scope the fields are gone.
    EXPECT_FALSE(parse_line(format_json("later")).contains("route"));
}
