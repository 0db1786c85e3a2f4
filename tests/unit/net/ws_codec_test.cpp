// The server's RFC 6455 codec against well-formed, fragmented and hostile
// client frames, whole and byte by byte.
#include "net/ws_codec.hpp"
#include "ws_test_frames.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace solgrid::net::ws;
using solgrid::test::client_binary;
using solgrid::test::client_frame;
using solgrid::test::client_text;
using solgrid::test::close_body;
using solgrid::test::frame_options;

namespace {

struct fed {
    std::uint16_t code = 0;
    std::vector<event> events;
};

fed feed_all(std::string_view bytes, std::size_t max = 1 << 20) {
    frame_parser p(max);
    fed r;
    r.code = p.feed(bytes, r.events);
    return r;
}

// Feeds in pieces of at most `chunk` bytes; stops at the first error.
fed feed_chunked(std::string_view bytes, std::size_t chunk, std::size_t max = 1 << 20) {
    frame_parser p(max);
    fed r;
    for (std::size_t i = 0; i < bytes.size() && !r.code; i += chunk)
        r.code = p.feed(bytes.substr(i, chunk), r.events);
    return r;
}

std::string fragment(std::uint8_t op, std::string_view s, bool fin) {
    frame_options o;
    o.fin = fin;
    return client_frame(op, s, o);
}

}  // namespace

TEST(WsCodec, DecodesTheRfcMaskedHelloExample) {
    // RFC 6455 §5.7: a single-frame masked text message containing "Hello".
    const unsigned char bytes[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    auto r = feed_all(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::text);
    EXPECT_EQ(r.events[0].data, "Hello");
}

TEST(WsCodec, RejectsTheRfcUnmaskedExampleWith1002) {
    // The same message unmasked, as a server would send it: a client must mask.
    const unsigned char bytes[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    auto r = feed_all(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
    EXPECT_EQ(r.code, close_code::protocol_error);
    EXPECT_TRUE(r.events.empty());
}

TEST(WsCodec, UnmaskedFrameAfterAGoodOneFailsButKeepsTheGoodOne) {
    frame_options unmasked;
    unmasked.masked = false;
    auto r = feed_all(client_text("ok") + client_frame(0x1, "bad", unmasked));
    EXPECT_EQ(r.code, close_code::protocol_error);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].data, "ok");
}

TEST(WsCodec, EmptyTextAndBinaryFrames) {
    auto r = feed_all(client_text("") + client_binary(""));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[0].type, event::text);
    EXPECT_EQ(r.events[0].data, "");
    EXPECT_EQ(r.events[1].type, event::binary);
}

TEST(WsCodec, BinaryMayHoldAnyBytesIncludingInvalidUtf8) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    auto r = feed_all(client_binary(all));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::binary);
    EXPECT_EQ(r.events[0].data, all);
}

TEST(WsCodec, FragmentedTextIsReassembled) {
    auto r = feed_all(fragment(0x1, "Hel", false) + fragment(0x0, "l", false) + fragment(0x0, "o", true));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::text);
    EXPECT_EQ(r.events[0].data, "Hello");
}

TEST(WsCodec, FragmentedBinaryKeepsItsOpcode) {
    auto r = feed_all(fragment(0x2, std::string("\x00\x01", 2), false) + fragment(0x0, "\xff", true));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::binary);
    EXPECT_EQ(r.events[0].data, std::string("\x00\x01\xff", 3));
}

TEST(WsCodec, ControlFramesInTheMiddleOfAFragmentedMessageArriveFirst) {
    auto bytes = fragment(0x1, "frag", false) + client_frame(0x9, "p1") + fragment(0x0, "men", false) +
                 client_frame(0xA, "p2") + fragment(0x0, "ted", true);
    for (std::size_t chunk : {bytes.size(), std::size_t(1), std::size_t(3)}) {
        auto r = feed_chunked(bytes, chunk);
        ASSERT_EQ(r.code, 0) << "chunk " << chunk;
        ASSERT_EQ(r.events.size(), 3u) << "chunk " << chunk;
        EXPECT_EQ(r.events[0].type, event::ping);
        EXPECT_EQ(r.events[0].data, "p1");
        EXPECT_EQ(r.events[1].type, event::pong);
        EXPECT_EQ(r.events[1].data, "p2");
        EXPECT_EQ(r.events[2].type, event::text);
        EXPECT_EQ(r.events[2].data, "fragmented");
    }
}

TEST(WsCodec, CloseInTheMiddleOfAFragmentedMessageEndsIt) {
    auto r = feed_all(fragment(0x1, "part", false) + client_frame(0x8, close_body(1000, "bye")));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::close);
    EXPECT_EQ(r.events[0].code, 1000);
    EXPECT_EQ(r.events[0].data, "bye");
}

TEST(WsCodec, NewMessageWhileAFragmentedOneIsOpenIs1002) {
    EXPECT_EQ(feed_all(fragment(0x1, "a", false) + client_text("b")).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(fragment(0x1, "a", false) + fragment(0x2, "b", true)).code, close_code::protocol_error);
}

TEST(WsCodec, ContinuationWithoutAStartIs1002) {
    EXPECT_EQ(feed_all(fragment(0x0, "orphan", true)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_text("done") + fragment(0x0, "orphan", false)).code, close_code::protocol_error);
}

TEST(WsCodec, FragmentedOrOversizeControlFramesAre1002) {
    frame_options unfinished;
    unfinished.fin = false;
    EXPECT_EQ(feed_all(client_frame(0x9, "x", unfinished)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x8, close_body(1000), unfinished)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x9, std::string(125, 'p'))).code, 0);
    EXPECT_EQ(feed_all(client_frame(0x9, std::string(126, 'p'))).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0xA, std::string(126, 'p'))).code, close_code::protocol_error);
}

TEST(WsCodec, ReservedOpcodesAndBitsAre1002) {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
        EXPECT_EQ(feed_all(client_frame(op, "x")).code, close_code::protocol_error) << int(op);
    for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
        frame_options o;
        o.rsv = rsv;
        EXPECT_EQ(feed_all(client_frame(0x1, "x", o)).code, close_code::protocol_error) << int(rsv);
    }
}

TEST(WsCodec, NonMinimalLengthsAre1002) {
    frame_options o16;
    o16.length_form = 16;
    frame_options o64;
    o64.length_form = 64;
    EXPECT_EQ(feed_all(client_frame(0x1, "short", o16)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x1, std::string(125, 'x'), o16)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x1, std::string(126, 'x'), o16)).code, 0);
    EXPECT_EQ(feed_all(client_frame(0x1, std::string(200, 'x'), o64)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x2, std::string(65535, 'x'), o64)).code, close_code::protocol_error);
    EXPECT_EQ(feed_all(client_frame(0x2, std::string(65536, 'x'), o64)).code, 0);
}

TEST(WsCodec, ExtendedLengthsDecode) {
    std::string mid(300, 'm'), big(70000, 'b');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
    auto r = feed_all(client_binary(mid) + client_binary(big));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[0].data, mid);
    EXPECT_EQ(r.events[1].data, big);
}

TEST(WsCodec, SixtyFourBitLengthWithTheHighBitSetIs1002) {
    frame_options o;
    o.claimed_length = (std::uint64_t(1) << 63) | 70000;
    EXPECT_EQ(feed_all(client_frame(0x2, "", o)).code, close_code::protocol_error);
}

TEST(WsCodec, OversizeMessagesAre1009) {
    EXPECT_EQ(feed_all(client_text(std::string(100, 'a')), 100).code, 0);
    EXPECT_EQ(feed_all(client_text(std::string(101, 'a')), 100).code, close_code::too_big);
    // Fragments that are each small but together too big.
    auto frags = fragment(0x1, std::string(60, 'a'), false) + fragment(0x0, std::string(41, 'a'), true);
    EXPECT_EQ(feed_all(frags, 100).code, close_code::too_big);
    auto exact = fragment(0x1, std::string(60, 'a'), false) + fragment(0x0, std::string(40, 'a'), true);
    EXPECT_EQ(feed_all(exact, 100).code, 0);
}

TEST(WsCodec, AHostileLengthIsRefusedFromTheHeaderAlone) {
    // Only the 14-byte header arrives: the parser must not wait for (or
    // allocate) the announced terabyte.
    frame_options o;
    o.claimed_length = std::uint64_t(1) << 40;
    auto header = client_frame(0x2, "", o);
    ASSERT_EQ(header.size(), 14u);
    EXPECT_EQ(feed_all(header, 1000000).code, close_code::too_big);
    // Also when the header itself trickles in.
    EXPECT_EQ(feed_chunked(header, 1, 1000000).code, close_code::too_big);
    frame_options o2;
    o2.claimed_length = UINT64_MAX >> 1;
    EXPECT_EQ(feed_all(client_frame(0x1, "", o2), 1000000).code, close_code::too_big);
}

TEST(WsCodec, InvalidUtf8TextIs1007) {
    EXPECT_EQ(feed_all(client_text("\xff")).code, close_code::invalid_payload);
    EXPECT_EQ(feed_all(client_text("ok\xc0\xaf")).code, close_code::invalid_payload);       // overlong '/'
    EXPECT_EQ(feed_all(client_text("\xed\xa0\x80")).code, close_code::invalid_payload);     // surrogate
    EXPECT_EQ(feed_all(client_text("\xf4\x90\x80\x80")).code, close_code::invalid_payload); // > U+10FFFF
    EXPECT_EQ(feed_all(client_text("\xe2\x82")).code, close_code::invalid_payload);         // truncated
    // Invalid across fragments.
    EXPECT_EQ(feed_all(fragment(0x1, "ok", false) + fragment(0x0, "\x80", true)).code, close_code::invalid_payload);
}

TEST(WsCodec, AMultibyteCharacterSplitAcrossFragmentsIsValid) {
    // "€" is E2 82 AC; each fragment alone is invalid UTF-8, the message is not.
    auto r = feed_all(fragment(0x1, "\xe2", false) + fragment(0x0, "\x82", false) + fragment(0x0, "\xac", true));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].data, "\xe2\x82\xac");
}

TEST(WsCodec, CloseFrames) {
    auto r = feed_all(client_frame(0x8, close_body(1001, "going")));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::close);
    EXPECT_EQ(r.events[0].code, 1001);
    EXPECT_EQ(r.events[0].data, "going");

    auto empty = feed_all(client_frame(0x8, ""));
    ASSERT_EQ(empty.code, 0);
    ASSERT_EQ(empty.events.size(), 1u);
    EXPECT_EQ(empty.events[0].type, event::close);

    EXPECT_EQ(feed_all(client_frame(0x8, "\x03")).code, close_code::protocol_error);  // half a code
    EXPECT_EQ(feed_all(client_frame(0x8, close_body(1000, "\xff"))).code, close_code::invalid_payload);
}

TEST(WsCodec, CloseCodesThatMayNotBeSentAre1002) {
    // RFC 6455 §7.4: 1004-1006 and 1015 are never sent in a close frame,
    // 0-999 are unused and 1016-2999 reserved. A server that accepted them
    // would echo them back in its own close frame, which it may not do.
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        EXPECT_EQ(feed_all(client_frame(0x8, close_body(static_cast<std::uint16_t>(code)))).code,
                  close_code::protocol_error)
            << code;
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
        auto r = feed_all(client_frame(0x8, close_body(static_cast<std::uint16_t>(code))));
        EXPECT_EQ(r.code, 0) << code;
        ASSERT_EQ(r.events.size(), 1u) << code;
        EXPECT_EQ(r.events[0].code, code);
    }
}

TEST(WsCodec, NothingAfterACloseFrameIsRead) {
    auto r = feed_all(client_frame(0x8, close_body(1000)) + client_text("late"));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].type, event::close);
}

TEST(WsCodec, ByteByByteFeedingGivesTheSameEventsAsOneRead) {
    std::string big(70000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
    auto bytes = client_text("first") + fragment(0x1, "κό", false) + client_frame(0x9, "mid") +
                 fragment(0x0, "σμε", true) + client_binary(std::string(300, 'x')) + client_binary(big) +
                 client_text("") + client_frame(0x8, close_body(1000, "end"));
    auto whole = feed_all(bytes);
    ASSERT_EQ(whole.code, 0);
    ASSERT_EQ(whole.events.size(), 7u);
    EXPECT_EQ(whole.events[2].data, "κόσμε");
    EXPECT_EQ(whole.events[4].data, big);

    frame_parser p(1 << 20);
    std::vector<event> events;
    for (char c : bytes) {
        ASSERT_EQ(p.feed(std::string_view(&c, 1), events), 0);
    }
    ASSERT_EQ(events.size(), whole.events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].type, whole.events[i].type) << i;
        EXPECT_EQ(events[i].data, whole.events[i].data) << i;
    }

    // And at random split points.
    std::mt19937 rng(12345);
    for (int round = 0; round < 20; ++round) {
        frame_parser q(1 << 20);
        std::vector<event> got;
        std::size_t i = 0;
        while (i < bytes.size()) {
            std::size_t n = std::uniform_int_distribution<std::size_t>(1, 5000)(rng);
            n = std::min(n, bytes.size() - i);
            ASSERT_EQ(q.feed(std::string_view(bytes).substr(i, n), got), 0);
            i += n;
        }
        ASSERT_EQ(got.size(), whole.events.size());
        EXPECT_EQ(got[4].data, big);
    }
}

TEST(WsCodec, IdleOnlyBetweenWholeMessages) {
    frame_parser p(1000);
    std::vector<event> out;
    EXPECT_TRUE(p.idle());
    auto f = client_text("hello");
    ASSERT_EQ(p.feed(std::string_view(f).substr(0, 3), out), 0);
    EXPECT_FALSE(p.idle());
    ASSERT_EQ(p.feed(std::string_view(f).substr(3), out), 0);
    EXPECT_TRUE(p.idle());
    ASSERT_EQ(p.feed(fragment(0x1, "a", false), out), 0);
    EXPECT_FALSE(p.idle());
    ASSERT_EQ(p.feed(fragment(0x0, "b", true), out), 0);
    EXPECT_TRUE(p.idle());
    ASSERT_EQ(out.size(), 2u);
}

TEST(WsCodec, DifferentMasksPerFrame) {
    frame_options a, b;
    a.mask = {0, 0, 0, 0};
    b.mask = {0xff, 0xff, 0xff, 0xff};
    auto r = feed_all(client_frame(0x1, "zero mask", a) + client_frame(0x1, "ones mask", b));
    ASSERT_EQ(r.code, 0);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[0].data, "zero mask");
    EXPECT_EQ(r.events[1].data, "ones mask");
}

TEST(WsCodec, HeaderEncodingUsesTheMinimalForm) {
    unsigned char h[10];
    EXPECT_EQ(encode_header(h, opcode::text, 0), 2u);
    EXPECT_EQ(h[0], 0x81);
    EXPECT_EQ(h[1], 0x00);
    EXPECT_EQ(encode_header(h, opcode::binary, 125), 2u);
    EXPECT_EQ(h[0], 0x82);
    EXPECT_EQ(h[1], 125);
    EXPECT_EQ(encode_header(h, opcode::text, 126), 4u);
    EXPECT_EQ(h[1], 126);
    EXPECT_EQ(h[2], 0);
    EXPECT_EQ(h[3], 126);
    EXPECT_EQ(encode_header(h, opcode::text, 65535), 4u);
    EXPECT_EQ(h[2], 0xff);
    EXPECT_EQ(h[3], 0xff);
    EXPECT_EQ(encode_header(h, opcode::text, 65536), 10u);
    EXPECT_EQ(h[1], 127);
    const unsigned char want[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(h[2 + i], want[i]) << i;
    EXPECT_EQ(encode_header(h, opcode::close, 2), 2u);
    EXPECT_EQ(h[0], 0x88);
}

TEST(WsCodec, ServerFramesAreUnmaskedAndWhole) {
    auto f = encode_frame(opcode::pong, "abc");
    ASSERT_EQ(f.size(), 5u);
    EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x8a);
    EXPECT_EQ(static_cast<unsigned char>(f[1]), 3);
    EXPECT_EQ(f.substr(2), "abc");
    auto c = close_payload(1009, "too big");
    EXPECT_EQ(c, std::string("\x03\xf1", 2) + "too big");
}

TEST(WsCodec, AcceptKeyOfTheRfcExample) {
    // RFC 6455 §1.3 and §4.2.2.
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodec, Utf8Validation) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("plain ascii"));
    EXPECT_TRUE(valid_utf8("κόσμε"));
    EXPECT_TRUE(valid_utf8("태양광 배터리"));
    EXPECT_TRUE(valid_utf8("\xf0\x9f\x94\x8b"));        // U+1F50B
    EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
    EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));            // U+FFFF
    EXPECT_TRUE(valid_utf8(std::string_view("\0", 1)));  // NUL is valid
    EXPECT_FALSE(valid_utf8("\x80"));                    // stray continuation
    EXPECT_FALSE(valid_utf8("\xbf"));
    EXPECT_FALSE(valid_utf8("\xc0\x80"));                // overlong NUL
    EXPECT_FALSE(valid_utf8("\xc1\xbf"));
    EXPECT_FALSE(valid_utf8("\xe0\x80\x80"));            // overlong 3-byte
    EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));
    EXPECT_FALSE(valid_utf8("\xf0\x80\x80\x80"));        // overlong 4-byte
    EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));            // U+D800
    EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));            // U+DFFF
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));        // U+110000
    EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));
    EXPECT_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));    // 5-byte form
    EXPECT_FALSE(valid_utf8("\xfe"));
    EXPECT_FALSE(valid_utf8("\xff"));
    EXPECT_FALSE(valid_utf8("\xce\xba\xe1"));            // truncated at the end
    EXPECT_FALSE(valid_utf8("\xe1\x80x"));               // bad continuation
}
