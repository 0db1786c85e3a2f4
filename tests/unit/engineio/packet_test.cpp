// Engine.IO v4 packets and the long-polling payload format.
#include "engineio/packet.hpp"

#include <gtest/gtest.h>

using namespace solgrid::engineio;

TEST(EioPacket, DecodesEveryTextType) {
    const std::pair<const char*, packet_type> v[] = {
        {"0", packet_type::open},  {"1", packet_type::close},   {"2", packet_type::ping},  {"3probe", packet_type::pong},
        {"4hi", packet_type::message}, {"5", packet_type::upgrade}, {"6", packet_type::noop}};
    for (auto [text, type] : v) {
        auto p = decode_text(text);
        ASSERT_TRUE(p) << text;
        EXPECT_EQ(p->type, type) << text;
        EXPECT_EQ(p->data, std::string_view(text).substr(1));
        EXPECT_FALSE(p->binary);
    }
}

TEST(EioPacket, RejectsEmptyAndUnknownTypes) {
    for (const char* bad : {"", "7", "9", "a", "b", "x4", " 4", "-1", "\x1e"}) EXPECT_FALSE(decode_text(bad)) << bad;
}

TEST(EioPacket, MessageDataIsKeptByteForByte) {
    auto p = decode_text(std::string("4\x00\xff\x1e{}", 6));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->data, std::string("\x00\xff\x1e{}", 5));
}

TEST(EioPacket, EncodesTextAndBinary) {
    EXPECT_EQ(make_packet(packet_type::ping)->data, "2");
    EXPECT_EQ(make_packet(packet_type::message, "hello")->data, "4hello");
    EXPECT_FALSE(make_packet(packet_type::message, "x")->binary);
    auto b = make_binary(std::string("\x01\x02\x03", 3));
    EXPECT_TRUE(b->binary);
    EXPECT_EQ(b->data, std::string("\x01\x02\x03", 3));
}

TEST(EioPayload, DecodesTheProtocolsExample) {
    // The protocol document's example: "4hello\x1e4€\x1ebAQIDBA=="
    auto ps = decode_payload("4hello\x1e" "4€\x1e" "bAQIDBA==");
    ASSERT_TRUE(ps);
    ASSERT_EQ(ps->size(), 3u);
    EXPECT_EQ((*ps)[0].type, packet_type::message);
    EXPECT_EQ((*ps)[0].data, "hello");
    EXPECT_EQ((*ps)[1].data, "€");
    EXPECT_TRUE((*ps)[2].binary);
    EXPECT_EQ((*ps)[2].type, packet_type::message);
    EXPECT_EQ((*ps)[2].data, std::string("\x01\x02\x03\x04", 4));
}

TEST(EioPayload, SinglePacketsAndControlPackets) {
    auto one = decode_payload("3");
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0].type, packet_type::pong);
    auto close = decode_payload("1");
    ASSERT_TRUE(close);
    EXPECT_EQ((*close)[0].type, packet_type::close);
    auto mixed = decode_payload("3\x1e" "40\x1e" "1");
    ASSERT_TRUE(mixed);
    ASSERT_EQ(mixed->size(), 3u);
    EXPECT_EQ((*mixed)[1].data, "0");
}

TEST(EioPayload, RejectsMalformedPayloads) {
    for (const char* bad : {"",                       // nothing
                            "\x1e",                   // two empty records
                            "4a\x1e",                 // trailing separator
                            "\x1e" "4a",              // leading separator
                            "4a\x1e\x1e" "4b",        // empty record in the middle
                            "9",                      // unknown type
                            "4a\x1ez",                // one bad record spoils all
                            "bAQI",                   // bad base64 length
                            "b!!!!",                  // outside the alphabet
                            "bAQ=D"}) {
        EXPECT_FALSE(decode_payload(bad)) << bad;
    }
}

TEST(EioPayload, EmptyBinaryRecordIsAnEmptyBinaryMessage) {
    auto ps = decode_payload("b");
    ASSERT_TRUE(ps);
    ASSERT_EQ(ps->size(), 1u);
    EXPECT_TRUE((*ps)[0].binary);
    EXPECT_EQ((*ps)[0].data, "");
}

TEST(EioPayload, EncodesJoinedByTheRecordSeparator) {
    std::vector<outgoing_ptr> q{make_packet(packet_type::message, "hello"), make_packet(packet_type::message, "€"),
                                make_binary(std::string("\x01\x02\x03\x04", 4)), make_packet(packet_type::ping)};
    EXPECT_EQ(encode_payload(q), "4hello\x1e" "4€\x1e" "bAQIDBA==\x1e" "2");
    EXPECT_EQ(encode_payload(std::vector<outgoing_ptr>{}), "");
    EXPECT_EQ(encode_payload(std::vector<outgoing_ptr>{make_packet(packet_type::noop)}), "6");
}

TEST(EioPayload, EncodeThenDecodeRoundTrips) {
    std::string bin;
    for (int i = 0; i < 256; ++i) bin += static_cast<char>(i);
    std::vector<outgoing_ptr> q{make_packet(packet_type::message, "2[\"e\",{\"a\":1}]"), make_binary(bin),
                                make_binary("")};
    auto back = decode_payload(encode_payload(q));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 3u);
    EXPECT_EQ((*back)[0].data, "2[\"e\",{\"a\":1}]");
    EXPECT_EQ((*back)[1].data, bin);
    EXPECT_TRUE((*back)[2].binary);
}
