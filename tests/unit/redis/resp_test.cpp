// The RESP codec alone (src/redis/resp): every reply type, "need more" at
// every byte of a valid reply, and malformed or hostile input refused with
// the error that names it.
#include "redis/resp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace solgrid::redis {
namespace {

using namespace std::string_literals;

value decode_all(std::string_view in, const limits& lim = {}) {
    auto d = decode(in, lim);
    if (!d) throw std::runtime_error("incomplete");
    EXPECT_EQ(d->consumed, in.size()) << in;
    return d->reply;
}

errc error_of(std::string_view in, const limits& lim = {}) {
    try {
        auto d = decode(in, lim);
        ADD_FAILURE() << "accepted: " << (d ? describe(d->reply) : "(need more)");
    } catch (const protocol_error& e) {
        EXPECT_NE(std::string(e.what()).find(errc_name(e.code())), std::string::npos);
        return e.code();
    }
    return errc{};
}

TEST(Resp, EncodesCommandsAsArraysOfBulkStringsBinarySafe) {
    EXPECT_EQ(encode_command({"PING"}), "*1\r\n$4\r\nPING\r\n");
    std::string binary("a\0\r\nb\xff", 6);
    EXPECT_EQ(encode_command({"SET", "k", binary}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\n"s + binary + "\r\n");
    EXPECT_EQ(encode_command({"GET", ""}), "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
    std::string out;
    const std::string_view xadd[] = {"XADD", "s", "*"};
    append_command(out, xadd);
    EXPECT_EQ(out, "*3\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n");
}

TEST(Resp, DecodesEveryRESP2ReplyType) {
    auto v = decode_all("+OK\r\n");
    EXPECT_EQ(v.type, kind::simple_string);
    EXPECT_EQ(v.str, "OK");
    v = decode_all("-WRONGTYPE Operation against a key\r\n");
    EXPECT_TRUE(v.is_error());
    EXPECT_EQ(v.str, "WRONGTYPE Operation against a key");
    EXPECT_EQ(decode_all(":-9223372036854775808\r\n").integer, INT64_MIN);
    EXPECT_EQ(decode_all(":42\r\n").integer, 42);
    v = decode_all("$6\r\na\0\r\nb\xff\r\n"s);
    EXPECT_EQ(v.type, kind::bulk_string);
    EXPECT_EQ(v.str, std::string("a\0\r\nb\xff", 6));
    EXPECT_EQ(decode_all("$0\r\n\r\n").str, "");
    EXPECT_TRUE(decode_all("$-1\r\n").is_null());
    EXPECT_TRUE(decode_all("*-1\r\n").is_null());
    v = decode_all("*0\r\n");
    EXPECT_TRUE(v.is_array());
    EXPECT_TRUE(v.elements.empty());
    v = decode_all("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n");
    ASSERT_EQ(v.elements.size(), 3u);
    EXPECT_EQ(v.elements[0].integer, 1);
    ASSERT_EQ(v.elements[1].elements.size(), 2u);
    EXPECT_EQ(v.elements[1].elements[0].str, "a");
    EXPECT_TRUE(v.elements[1].elements[1].is_null());
    EXPECT_EQ(v.elements[2].str, "x");
}

TEST(Resp, DecodesRESP3ReplyTypes) {
    EXPECT_TRUE(decode_all("_\r\n").is_null());
    EXPECT_EQ(decode_all("#t\r\n").integer, 1);
    EXPECT_EQ(decode_all("#f\r\n").type, kind::boolean);
    EXPECT_EQ(decode_all(",1.5\r\n").str, "1.5");
    EXPECT_EQ(decode_all(",-inf\r\n").str, "-inf");
    EXPECT_EQ(decode_all("(3492890328409238509324850943850943825024385\r\n").type, kind::big_number);
    EXPECT_EQ(decode_all("!21\r\nSYNTAX invalid syntax\r\n").type, kind::error);
    EXPECT_EQ(decode_all("=15\r\ntxt:Some string\r\n").str, "txt:Some string");
    auto m = decode_all("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
    EXPECT_EQ(m.type, kind::map);
    ASSERT_EQ(m.elements.size(), 4u);
    EXPECT_EQ(m.elements[3].integer, 2);
    EXPECT_EQ(decode_all("~2\r\n+a\r\n+b\r\n").elements.size(), 2u);
    EXPECT_EQ(decode_all(">2\r\n+message\r\n+x\r\n").elements.size(), 2u);
    EXPECT_EQ(decode_all("|1\r\n+ttl\r\n:3\r\n+value\r\n").str, "value");  // attribute dropped
}

TEST(Resp, SeveralRepliesInOneBufferComeOneAtATime) {
    std::string in = "+OK\r\n:1\r\n$1\r\nx\r\n";
    std::size_t at = 0;
    std::vector<value> got;
    while (auto d = decode(std::string_view(in).substr(at))) {
        got.push_back(d->reply);
        at += d->consumed;
    }
    EXPECT_EQ(at, in.size());
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[2].str, "x");
}

TEST(Resp, EveryTruncationOfAValidReplyNeedsMore) {
    const std::string replies[] = {
        "+OK\r\n", "-ERR x\r\n", ":123\r\n", "$5\r\nhello\r\n", "$0\r\n\r\n", "$-1\r\n", "*-1\r\n",
        "*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n%1\r\n+k\r\n,2.5\r\n",
        // an XREAD reply: [[stream, [[id, [field, value, ...]]]]]
        "*1\r\n*2\r\n$9\r\nsocket.io\r\n*1\r\n*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$3\r\nuid\r\n$4\r\nabcd\r\n$3\r\nnsp\r\n$1\r\n/\r\n",
        "|1\r\n+a\r\n+b\r\n#t\r\n", "_\r\n", "(12\r\n", "!3\r\nERR\r\n"};
    for (const auto& r : replies) {
        for (std::size_t n = 0; n < r.size(); ++n)
            EXPECT_FALSE(decode(std::string_view(r).substr(0, n)).has_value()) << r << " cut at " << n;
        auto d = decode(r);
        ASSERT_TRUE(d.has_value()) << r;
        EXPECT_EQ(d->consumed, r.size()) << r;
    }
}

TEST(Resp, MalformedInputIsATypedError) {
    EXPECT_EQ(error_of("?\r\n"), errc::bad_type_byte);
    EXPECT_EQ(error_of("\r\n"), errc::bad_type_byte);
    EXPECT_EQ(error_of("*1\r\nX\r\n"), errc::bad_type_byte);
    EXPECT_EQ(error_of("$abc\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$+3\r\nabc\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$ 3\r\nabc\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$-2\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("*-5\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$-0\r\n"), errc::bad_length);
    EXPECT_EQ(error_of("$3\r\nabcd\r\n"), errc::missing_crlf);
    EXPECT_EQ(error_of("$3\r\nab\r\n\r\n"), errc::missing_crlf);
    EXPECT_EQ(error_of("+OK\n"), errc::missing_crlf);
    EXPECT_EQ(error_of("+OK\rX"), errc::missing_crlf);
    EXPECT_EQ(error_of(":12a\r\n"), errc::bad_integer);
    EXPECT_EQ(error_of(":\r\n"), errc::bad_integer);
    EXPECT_EQ(error_of(":99999999999999999999\r\n"), errc::bad_integer);
    EXPECT_EQ(error_of("#x\r\n"), errc::bad_value);
    EXPECT_EQ(error_of(",1.5x\r\n"), errc::bad_value);
    EXPECT_EQ(error_of("_x\r\n"), errc::bad_value);
    EXPECT_EQ(error_of("(12-3\r\n"), errc::bad_integer);
}

TEST(Resp, HugeLengthsAreRefusedBeforeAnyAllocation) {
    EXPECT_EQ(error_of("$536870913\r\n"), errc::length_too_large);  // 512 MiB + 1
    EXPECT_EQ(error_of("$99999999999999999999999\r\n"), errc::length_too_large);
    EXPECT_EQ(error_of("*9223372036854775807\r\n"), errc::length_too_large);
    EXPECT_EQ(error_of("*2000000\r\n"), errc::length_too_large);
    limits tight;
    tight.max_bulk = 1024;
    tight.max_aggregate = 8;
    tight.max_elements = 9;
    EXPECT_EQ(error_of("$1025\r\n", tight), errc::length_too_large);
    EXPECT_TRUE(decode("$1024\r\n" + std::string(1024, 'x') + "\r\n", tight).has_value());
    EXPECT_EQ(error_of("*9\r\n", tight), errc::length_too_large);
    EXPECT_EQ(error_of("%5\r\n", tight), errc::too_many_elements);  // 10 values
    EXPECT_EQ(error_of("*2\r\n*8\r\n", tight), errc::too_many_elements);
    // The 512 MiB default takes a header claiming 512 MiB as "need more": it
    // reserved nothing for it.
    EXPECT_FALSE(decode("$536870912\r\nabc").has_value());
}

TEST(Resp, DeepNestingAndLongLinesAreRefused) {
    std::string deep;
    for (int i = 0; i < 32; ++i) deep += "*1\r\n";
    EXPECT_TRUE(decode(deep + ":1\r\n").has_value());
    EXPECT_EQ(error_of("*1\r\n" + deep + ":1\r\n"), errc::too_deep);
    std::string attributes;
    for (int i = 0; i < 40; ++i) attributes += "|0\r\n";
    EXPECT_EQ(error_of(attributes + "+x\r\n"), errc::too_deep);
    EXPECT_EQ(error_of("+" + std::string(70000, 'a')), errc::line_too_long);
    EXPECT_EQ(error_of("$" + std::string(70000, '1')), errc::line_too_long);
    limits tight;
    tight.max_line = 4;
    EXPECT_TRUE(decode("+abcd\r\n", tight).has_value());
    EXPECT_EQ(error_of("+abcde\r\n", tight), errc::line_too_long);
}

TEST(Resp, DescribeEscapesBinary) {
    EXPECT_EQ(describe(decode_all("*2\r\n$2\r\na\x01\r\n:3\r\n")), "[\"a\\x01\", (integer) 3]");
}

}  // namespace
}  // namespace solgrid::redis
