// redis::msgpack: the shortest forms @msgpack/msgpack 2.8 writes (byte for
// byte, from the MessagePack spec's format table), round trips, and hostile
// input: truncation at every byte, lengths beyond the input (refused before
// allocating), the reserved byte, extension types, depth, trailing bytes.
#include "redis/msgpack.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace solgrid::redis::msgpack;

namespace {

std::string hex(std::string_view s) {
    std::string out;
    const char* d = "0123456789abcdef";
    for (unsigned char c : s) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return out;
}

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int x : b) s += static_cast<char>(x);
    return s;
}

value decoded(std::string_view in) {
    auto r = decode(in);
    if (auto* e = std::get_if<decode_error>(&r)) {
        ADD_FAILURE() << "decode failed at " << e->offset << ": " << e->what;
        return {};
    }
    return std::get<value>(r);
}

decode_error refused(std::string_view in, limits lim = {}) {
    auto r = decode(in, lim);
    if (std::holds_alternative<value>(r)) {
        ADD_FAILURE() << "accepted " << hex(in);
        return {};
    }
    return std::get<decode_error>(r);
}

}  // namespace

TEST(Msgpack, IntegersTakeTheShortestFormAsTheSpecSays) {
    struct row {
        std::int64_t v;
        const char* wire;
    };
    for (auto r : {row{0, "00"}, row{127, "7f"}, row{128, "cc80"}, row{255, "ccff"}, row{256, "cd0100"},
                   row{65535, "cdffff"}, row{65536, "ce00010000"}, row{4294967295LL, "ceffffffff"},
                   row{4294967296LL, "cf0000000100000000"}, row{-1, "ff"}, row{-32, "e0"}, row{-33, "d0df"},
                   row{-128, "d080"}, row{-129, "d1ff7f"}, row{-32768, "d18000"}, row{-32769, "d2ffff7fff"},
                   row{-2147483648LL, "d280000000"}, row{-2147483649LL, "d3ffffffff7fffffff"},
                   row{std::numeric_limits<std::int64_t>::min(), "d38000000000000000"}}) {
        EXPECT_EQ(hex(encode(value(r.v))), r.wire) << r.v;
        EXPECT_EQ(decoded(encode(value(r.v))), value(r.v)) << r.v;
    }
    // Above INT64_MAX only uint64 holds it.
    auto big = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(hex(encode(value(big))), "cfffffffffffffffff");
    EXPECT_EQ(decoded(encode(value(big))), value(big));
    // A uint64 on the wire that fits int64 reads as int64 (one value, one type).
    EXPECT_EQ(decoded(bytes({0xcf, 0, 0, 0, 0, 0, 0, 0, 5})), value(5));
}

TEST(Msgpack, OtherTypesByteForByte) {
    EXPECT_EQ(hex(encode(value())), "c0");
    EXPECT_EQ(hex(encode(value(true))), "c3");
    EXPECT_EQ(hex(encode(value(false))), "c2");
    EXPECT_EQ(hex(encode(value(1.5))), "cb3ff8000000000000");
    EXPECT_EQ(hex(encode(value("a"))), "a161");
    EXPECT_EQ(hex(encode(value(std::string(31, 'x')))).substr(0, 2), "bf");
    EXPECT_EQ(hex(encode(value(std::string(32, 'x')))).substr(0, 4), "d920");
    EXPECT_EQ(hex(encode(value(std::string(256, 'x')))).substr(0, 6), "da0100");
    EXPECT_EQ(hex(encode(value(std::string(65536, 'x')))).substr(0, 10), "db00010000");
    EXPECT_EQ(hex(encode(value(binary{}))), "c400");
    EXPECT_EQ(hex(encode(value(binary{std::string("\x01\x02", 2)}))), "c4020102");
    EXPECT_EQ(hex(encode(value(binary{std::string(256, '\0')}))).substr(0, 6), "c50100");
    EXPECT_EQ(hex(encode(value(array{}))), "90");
    EXPECT_EQ(hex(encode(value(array(16, value(1))))).substr(0, 6), "dc0010");
    EXPECT_EQ(hex(encode(value(map{}))), "80");
    EXPECT_EQ(hex(encode(value(map{{value("uid"), value("x")}, {value("type"), value(3)}}))), "82a3756964a178a47479706503");
    // float32 on the wire reads as the double it is.
    EXPECT_EQ(decoded(bytes({0xca, 0x3f, 0xc0, 0, 0})), value(1.5));
}

TEST(Msgpack, ABroadcastShapedMessageRoundTrips) {
    value packet = map{{value("type"), value(2)},
                       {value("data"), value(array{value("new_sun_data"), value(map{{value("soc"), value(85)},
                                                                                      {value("solar_w"), value(120.5)}})})},
                       {value("nsp"), value("/")}};
    value msg = map{{value("packet"), packet},
                    {value("opts"), value(map{{value("rooms"), value(array{value("household:A")})},
                                              {value("except"), value(array{})},
                                              {value("flags"), value(map{})}})},
                    {value("bin"), value(binary{std::string("\0\xff\x10", 3)})},
                    {value("none"), value()}};
    EXPECT_EQ(decoded(encode(msg)), msg);
}

TEST(Msgpack, TruncationAtEveryByteIsAnErrorNeverACrashOrAValue) {
    value msg = map{{value("a"), value(array{value(1), value(-200), value(3.25), value("text"), value(binary{"bin"})})},
                    {value("b"), value(map{{value("c"), value(true)}})}};
    auto wire = encode(msg);
    for (std::size_t n = 0; n < wire.size(); ++n) {
        auto e = refused(std::string_view(wire).substr(0, n));
        EXPECT_LE(e.offset, n);
        EXPECT_FALSE(e.what.empty());
    }
    EXPECT_EQ(decoded(wire), msg);
}

TEST(Msgpack, HostileInputIsRefusedNamingTheProblem) {
    // Lengths beyond the input: refused before anything is allocated.
    EXPECT_NE(refused(bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'})).what.find("truncated"), std::string::npos);
    EXPECT_NE(refused(bytes({0xc6, 0xff, 0xff, 0xff, 0xff})).what.find("truncated"), std::string::npos);
    EXPECT_NE(refused(bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0})).what.find("exceeds"), std::string::npos);
    EXPECT_NE(refused(bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0})).what.find("exceeds"), std::string::npos);
    // The reserved byte and extension types (timestamps and the like).
    EXPECT_NE(refused(bytes({0xc1})).what.find("0xc1"), std::string::npos);
    for (int b : {0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8})
        EXPECT_NE(refused(bytes({b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).what.find("extension"), std::string::npos) << b;
    // Trailing bytes, and the empty input.
    auto trailing = refused(bytes({0x01, 0x02}));
    EXPECT_EQ(trailing.offset, 1u);
    EXPECT_NE(trailing.what.find("after the value"), std::string::npos);
    EXPECT_NE(refused("").what.find("truncated"), std::string::npos);
    // Depth: 32 nested arrays pass, 33 do not.
    std::string deep32(31, '\x91'), deep33(32, '\x91');
    deep32 += '\x90';
    deep33 += '\x90';
    EXPECT_TRUE(std::holds_alternative<value>(decode(deep32)));
    EXPECT_NE(refused(deep33).what.find("deeper"), std::string::npos);
    // Element budget.
    limits few;
    few.max_elements = 3;
    EXPECT_NE(refused(bytes({0x94, 1, 2, 3, 4}), few).what.find("elements"), std::string::npos);
    EXPECT_TRUE(std::holds_alternative<value>(decode(bytes({0x93, 1, 2, 3}), few)));
}
