// Engine.IO v3 (EIO=3) long-polling payloads: `<length>:<packet>` with the
// length in UTF-16 code units, binary as "b4"+base64, and the XHR2 binary
// framing; malformed bodies are refused whole.
#include "engineio/packet.hpp"

#include <gtest/gtest.h>

using namespace solgrid::engineio;

namespace {

std::string bytes(std::initializer_list<int> v) {
    std::string s;
    for (int b : v) s += static_cast<char>(b);
    return s;
}

}  // namespace

TEST(EioV3Payload, DecodesTextAndBase64Binary) {
    auto ps = decode_payload_v3("6:4hello1:210:b4AQIDBA==");
    ASSERT_TRUE(ps);
    ASSERT_EQ(ps->size(), 3u);
    EXPECT_EQ((*ps)[0].type, packet_type::message);
    EXPECT_EQ((*ps)[0].data, "hello");
    EXPECT_EQ((*ps)[1].type, packet_type::ping);
    EXPECT_TRUE((*ps)[2].binary);
    EXPECT_EQ((*ps)[2].data, std::string("\x01\x02\x03\x04", 4));
}

TEST(EioV3Payload, CountsLengthsInUtf16UnitsNotBytes) {
    // "4€" is 2 units (4 bytes); "4😀" is 3 units (a surrogate pair, 5 bytes).
    auto ps = decode_payload_v3("2:4€3:4😀1:6");
    ASSERT_TRUE(ps);
    ASSERT_EQ(ps->size(), 3u);
    EXPECT_EQ((*ps)[0].data, "€");
    EXPECT_EQ((*ps)[1].data, "😀");
    EXPECT_EQ((*ps)[2].type, packet_type::noop);
    EXPECT_EQ(utf16_length("a€😀"), 4u);
    // The byte count as length is wrong for multibyte text.
    EXPECT_FALSE(decode_payload_v3("4:4€"));
}

TEST(EioV3Payload, RejectsMalformedBodies) {
    for (const char* bad : {"",                  // empty
                            "4hello",            // no length
                            "6",                 // length, no colon
                            "6;4hello",          // not a colon
                            ":4hello",           // empty length
                            "x:4",               // non-digit length
                            "1x:4",              // digit then junk
                            "-1:4",              // sign
                            "0:",                // zero-length packet
                            "7:4hello",          // length beyond the data
                            "6:4hello1",         // trailing garbage
                            "99999999999999999999:4",  // huge length (overflow)
                            "1000000000:4",      // ten digits
                            "1:9",               // unknown type
                            "5:b4AQI",           // bad base64
                            "4:b9AA",            // binary of a non-message type
                            "2:4\xe2\x82",       // truncated UTF-8
                            "2:4\xff",           // invalid UTF-8
                            "2:4\xc0\xaf",       // overlong UTF-8
                            "2:4\xed\xa0\x80",   // a lone surrogate in UTF-8
                            "2:4😀"}) {          // length ends inside a surrogate pair
        EXPECT_FALSE(decode_payload_v3(bad)) << bad;
    }
}

TEST(EioV3Payload, DecodesTheXhr2BinaryFraming) {
    // text "4hello" (6 bytes), then binary message 01 02 03 (type byte 4 first).
    auto body = bytes({0, 6, 0xFF}) + "4hello" + bytes({1, 4, 0xFF, 4, 1, 2, 3});
    auto ps = decode_binary_payload_v3(body);
    ASSERT_TRUE(ps);
    ASSERT_EQ(ps->size(), 2u);
    EXPECT_EQ((*ps)[0].data, "hello");
    EXPECT_FALSE((*ps)[0].binary);
    EXPECT_TRUE((*ps)[1].binary);
    EXPECT_EQ((*ps)[1].data, bytes({1, 2, 3}));
    // Lengths of more than one digit: 12 bytes.
    auto two = decode_binary_payload_v3(bytes({0, 1, 2, 0xFF}) + "4hello world");
    ASSERT_TRUE(two);
    EXPECT_EQ((*two)[0].data, "hello world");
}

TEST(EioV3Payload, RejectsMalformedXhr2Framing) {
    for (const auto& bad : {std::string(),
                            bytes({2, 1, 0xFF}) + "4",          // unknown flag
                            bytes({0, 1}),                      // no 0xFF
                            bytes({0, 0xFF}) + "4",             // no length digits
                            bytes({0, 10, 0xFF}) + "4",         // a "digit" above 9
                            bytes({0, 9, 0xFF}) + "4hi",        // length beyond the data
                            bytes({0, 0, 0xFF}),                // zero length
                            bytes({1, 2, 0xFF, 3, 1}),          // binary of a non-message type
                            bytes({0, 2, 0xFF}) + "4\xff",      // invalid UTF-8
                            bytes({0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xFF}) + "4"}) {  // huge length
        EXPECT_FALSE(decode_binary_payload_v3(bad));
    }
}

TEST(EioV3Payload, EncodesWithUtf16LengthsAndBase64) {
    std::vector<outgoing_ptr> ps = {make_packet(packet_type::message, "2[\"é\"]"), make_binary(bytes({1, 2, 3, 4})),
                                    make_packet(packet_type::pong)};
    EXPECT_EQ(encode_payload_v3(ps, true), "7:42[\"é\"]10:b4AQIDBA==1:3");
    // Without b64, binary queued: the XHR2 framing (text as UTF-8 bytes).
    EXPECT_EQ(encode_payload_v3(ps, false), bytes({0, 8, 0xFF}) + "42[\"é\"]" + bytes({1, 5, 0xFF, 4, 1, 2, 3, 4}) +
                                                bytes({0, 1, 0xFF}) + "3");
    // Nothing binary: the text framing whatever b64 says.
    std::vector<outgoing_ptr> text = {make_packet(packet_type::noop)};
    EXPECT_EQ(encode_payload_v3(text, false), "1:6");
}

TEST(EioV3Payload, RoundTrips) {
    std::vector<outgoing_ptr> ps = {make_packet(packet_type::message, "2[\"😀\",1]"), make_binary(std::string("\0\xff", 2))};
    for (bool b64 : {true, false}) {
        auto body = encode_payload_v3(ps, b64);
        auto back = b64 ? decode_payload_v3(body) : decode_binary_payload_v3(body);
        ASSERT_TRUE(back) << b64;
        ASSERT_EQ(back->size(), 2u);
        EXPECT_EQ((*back)[0].data, "2[\"😀\",1]");
        EXPECT_EQ((*back)[1].data, std::string("\0\xff", 2));
        EXPECT_TRUE((*back)[1].binary);
    }
}

TEST(EioV3Packet, WebSocketTextMayCarryBase64Binary) {
    auto p = decode_text_v3("b4AQIDBA==");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->binary);
    EXPECT_EQ(p->data, std::string("\x01\x02\x03\x04", 4));
    auto t = decode_text_v3("42[\"x\"]");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->data, "2[\"x\"]");
    EXPECT_FALSE(decode_text_v3("b4!!"));
    EXPECT_FALSE(decode_text_v3(""));
}
