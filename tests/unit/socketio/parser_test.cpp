// Socket.IO v5 packets: every type, namespaces, ack ids, attachments,
// payload validation as the protocol (and socket.io-parser) defines it, and
// inputs a hostile client may send.
#include "socketio/parser.hpp"
#include "socketio/socket.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid::socketio;
namespace json = boost::json;

namespace {

packet ok(std::string_view text) {
    auto r = decode(text);
    EXPECT_TRUE(r.value) << text << ": " << r.error;
    return r.value ? std::move(*r.value) : packet{};
}

std::string err(std::string_view text) {
    auto r = decode(text);
    EXPECT_FALSE(r.value) << text << " was accepted";
    return r.error;
}

}  // namespace

TEST(SioParser, Connect) {
    auto p = ok("0");
    EXPECT_EQ(p.type, packet_type::connect);
    EXPECT_EQ(p.nsp, "/");
    EXPECT_FALSE(p.data);
    EXPECT_FALSE(p.id);

    p = ok("0/admin,");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_FALSE(p.data);

    p = ok("0/admin");  // no trailing comma: socket.io-client never sends it, others do
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_FALSE(p.data);

    p = ok(R"(0{"token":"123"})");
    EXPECT_EQ(p.nsp, "/");
    EXPECT_EQ(p.data->as_object().at("token"), "123");

    p = ok(R"(0/admin,{"token":"123"})");
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(p.data->as_object().at("token"), "123");

    p = ok("0/ns/with/slashes,{}");
    EXPECT_EQ(p.nsp, "/ns/with/slashes");
}

TEST(SioParser, ConnectPayloadMustBeAnObject) {
    err("0[]");
    err("0\"token\"");
    err("0null");
    err("0/admin,[1]");
}

TEST(SioParser, Disconnect) {
    EXPECT_EQ(ok("1").type, packet_type::disconnect);
    auto p = ok("1/admin,");
    EXPECT_EQ(p.nsp, "/admin");
    err("1{}");
    err("1[]");
    err("1/admin,\"bye\"");
}

TEST(SioParser, Event) {
    auto p = ok(R"(2["hello",1])");
    EXPECT_EQ(p.type, packet_type::event);
    EXPECT_EQ(p.nsp, "/");
    EXPECT_FALSE(p.id);
    EXPECT_EQ(p.data->as_array().size(), 2u);
    EXPECT_EQ(p.data->as_array()[0], "hello");

    p = ok(R"(2/admin,456["project:delete",123])");
    EXPECT_EQ(p.nsp, "/admin");
    ASSERT_TRUE(p.id);
    EXPECT_EQ(*p.id, 456u);
    EXPECT_EQ(p.data->as_array()[1], 123);

    p = ok(R"(20["zero id"])");
    ASSERT_TRUE(p.id);
    EXPECT_EQ(*p.id, 0u);

    p = ok(R"(2[42,"numeric event names are allowed"])");
    EXPECT_EQ(p.data->as_array()[0], 42);

    p = ok(R"(2["é 태양 🔋",{"nested":[1,{"deep":true}]}])");
    EXPECT_EQ(p.data->as_array()[0], "é 태양 🔋");
}

TEST(SioParser, EventPayloadShapes) {
    err("2");            // no payload
    err("2[]");          // no event name
    err("2{}");          // not an array
    err(R"(2"hello")");
    err("2[null]");
    err("2[true]");
    err(R"(2[["nested"]])");
    err(R"(2[{"name":"x"}])");
    err("2/admin,");     // namespace, nothing else
    err("212");          // an ack id, no payload
}

TEST(SioParser, ReservedEventNamesAreRefused) {
    for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener"}) {
        EXPECT_TRUE(is_reserved_event(name)) << name;
        err(std::string("2[\"") + name + "\"]");
        err(std::string("2/admin,1[\"") + name + "\",1]");
        err(std::string("51-[\"") + name + "\",{\"_placeholder\":true,\"num\":0}]");
    }
    EXPECT_FALSE(is_reserved_event("message"));
    EXPECT_FALSE(is_reserved_event("Connect"));
    EXPECT_FALSE(is_reserved_event("connection_response"));
    ok(R"(2["Connect"])");
    ok(R"(2["connection"])");
}

TEST(SioParser, Ack) {
    auto p = ok("3/admin,456[]");
    EXPECT_EQ(p.type, packet_type::ack);
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 456u);
    EXPECT_TRUE(p.data->as_array().empty());

    p = ok(R"(37["a",{"b":1}])");
    EXPECT_EQ(*p.id, 7u);
    EXPECT_EQ(p.data->as_array().size(), 2u);

    err("3456");         // no payload
    err("3456{}");       // not an array
    err("3456\"x\"");
}

TEST(SioParser, ConnectError) {
    auto p = ok(R"(4{"message":"Not authorized"})");
    EXPECT_EQ(p.type, packet_type::connect_error);
    p = ok(R"(4/admin,"plain message")");
    EXPECT_EQ(p.nsp, "/admin");
    err("4");
    err("4[1]");
    err("41");
}

TEST(SioParser, BinaryEventAndAck) {
    auto p = ok(R"(51-["hello",{"_placeholder":true,"num":0}])");
    EXPECT_EQ(p.type, packet_type::binary_event);
    EXPECT_EQ(p.attachments, 1u);
    EXPECT_EQ(p.nsp, "/");

    p = ok(R"(52-/admin,7["upload",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}])");
    EXPECT_EQ(p.attachments, 2u);
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(*p.id, 7u);

    p = ok(R"(61-/admin,456[{"_placeholder":true,"num":0}])");
    EXPECT_EQ(p.type, packet_type::binary_ack);
    EXPECT_EQ(p.attachments, 1u);
    EXPECT_EQ(*p.id, 456u);

    p = ok(R"(50-["no buffers after all"])");
    EXPECT_EQ(p.attachments, 0u);
}

TEST(SioParser, IllegalAttachmentCounts) {
    err(R"(5-["a"])");                 // no count
    err(R"(5a-["a"])");
    err(R"(51["a",{"_placeholder":true,"num":0}])");  // no dash
    err(R"(5+1-["a"])");
    err(R"(5-1-["a"])");
    err(R"(51234567-["a"])");          // absurdly many digits
    err(R"(565-["a"])");               // over the limit
    err(R"(5999999-["a"])");
    err("51-");                        // count, no payload
    err(R"(61-{"a":1})");              // binary ack must be an array
}

TEST(SioParser, PlaceholdersAreValidated) {
    err(R"(51-["a",{"_placeholder":true,"num":1}])");      // only attachment 0 exists
    err(R"(51-["a",{"_placeholder":true,"num":-1}])");
    err(R"(51-["a",{"_placeholder":true,"num":"0"}])");
    err(R"(51-["a",{"_placeholder":true,"num":0.5}])");
    err(R"(51-["a",{"_placeholder":true}])");
    err(R"(52-["a",{"deep":[[{"_placeholder":true,"num":2}]]}])");
    ok(R"(52-["a",{"deep":[[{"_placeholder":true,"num":1}]]},{"_placeholder":true,"num":0}])");
    // Not a placeholder: plain objects that merely look similar.
    ok(R"(51-["a",{"_placeholder":false,"num":99},{"_placeholder":true,"num":0}])");

    EXPECT_TRUE(placeholders_valid(json::parse(R"([{"_placeholder":true,"num":0}])"), 1));
    EXPECT_FALSE(placeholders_valid(json::parse(R"([{"_placeholder":true,"num":0}])"), 0));
    EXPECT_TRUE(placeholders_valid(json::parse(R"({"a":"b"})"), 0));
    EXPECT_EQ(placeholder(3), json::parse(R"({"_placeholder":true,"num":3})"));
}

TEST(SioParser, AckIds) {
    auto p = ok(R"(2123456789012345678["eighteen digits"])");
    ASSERT_TRUE(p.id);
    EXPECT_EQ(*p.id, 123456789012345678u);
    EXPECT_EQ(err(R"(21234567890123456789["nineteen"])"), "invalid ack id");
    EXPECT_EQ(err("2" + std::string(10000, '9') + R"(["huge"])"), "invalid ack id");
    EXPECT_EQ(err("3" + std::string(10000, '1') + "[]"), "invalid ack id");
}

TEST(SioParser, UnknownTypesAndGarbage) {
    for (const char* bad : {"", "7", "8[]", "9", "a", "-1", " 2[\"a\"]"}) err(bad);
    err(std::string_view("\x00", 1));
    err(R"(2["a"]trailing)");
    err(R"(2["a")");
    err(R"(2["a"]])");
    err(R"(2/admin["a"])");   // a namespace must end with a comma before data
    err("2\xff\xfe");
}

TEST(SioParser, HostileNestingIsRefusedNotACrash) {
    std::string deep = "2[\"x\",";
    for (int i = 0; i < 100000; ++i) deep += '[';
    for (int i = 0; i < 100000; ++i) deep += ']';
    deep += ']';
    err(deep);
    std::string objects = "2[\"x\",";
    for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
    objects += "1";
    for (int i = 0; i < 100000; ++i) objects += '}';
    objects += ']';
    err(objects);
}

TEST(SioParser, ManySmallAttachmentPlaceholdersStayBounded) {
    std::string s = "564-[\"many\"";
    for (int i = 0; i < 64; ++i) s += ",{\"_placeholder\":true,\"num\":" + std::to_string(i) + "}";
    s += "]";
    EXPECT_EQ(ok(s).attachments, 64u);
}

TEST(SioParser, Encode) {
    packet connect;
    connect.type = packet_type::connect;
    connect.data = json::object{{"sid", "abc"}};
    EXPECT_EQ(encode(connect), R"(0{"sid":"abc"})");
    connect.nsp = "/admin";
    EXPECT_EQ(encode(connect), R"(0/admin,{"sid":"abc"})");

    packet disconnect;
    disconnect.type = packet_type::disconnect;
    disconnect.nsp = "/admin";
    EXPECT_EQ(encode(disconnect), "1/admin,");
    disconnect.nsp = "/";
    EXPECT_EQ(encode(disconnect), "1");

    packet event;
    event.type = packet_type::event;
    event.nsp = "/admin";
    event.id = 12;
    event.data = json::array{"a", 1};
    EXPECT_EQ(encode(event), R"(2/admin,12["a",1])");

    packet ack;
    ack.type = packet_type::ack;
    ack.id = 5;
    ack.data = json::array{};
    EXPECT_EQ(encode(ack), "35[]");

    packet bin;
    bin.type = packet_type::binary_event;
    bin.data = json::array{"file", placeholder(0), placeholder(1)};
    bin.buffers = {"\x01", "\x02"};
    EXPECT_EQ(encode(bin), R"(52-["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");

    packet binack;
    binack.type = packet_type::binary_ack;
    binack.nsp = "/x";
    binack.id = 9;
    binack.data = json::array{placeholder(0)};
    binack.buffers = {"b"};
    EXPECT_EQ(encode(binack), R"(61-/x,9[{"_placeholder":true,"num":0}])");

    packet error;
    error.type = packet_type::connect_error;
    error.data = json::object{{"message", "Invalid namespace"}};
    EXPECT_EQ(encode(error), R"(4{"message":"Invalid namespace"})");
}

TEST(SioParser, EncodeThenDecodeRoundTrips) {
    packet p;
    p.type = packet_type::binary_ack;
    p.nsp = "/ns";
    p.id = 123456789;
    p.data = json::array{"x", placeholder(0), json::object{{"k", placeholder(1)}}};
    p.buffers = {"one", "two"};
    auto back = ok(encode(p));
    EXPECT_EQ(back.type, p.type);
    EXPECT_EQ(back.nsp, p.nsp);
    EXPECT_EQ(back.id, p.id);
    EXPECT_EQ(back.data, p.data);
    EXPECT_EQ(back.attachments, 2u);
}

TEST(SioReassembler, CollectsAttachmentsInOrder) {
    auto p = ok(R"(52-["two",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    reassembler r;
    EXPECT_FALSE(r.waiting());
    EXPECT_FALSE(r.start(p));  // it waits for buffers
    EXPECT_TRUE(r.waiting());
    EXPECT_FALSE(r.add("first"));
    EXPECT_TRUE(r.waiting());
    auto done = r.add("second");
    ASSERT_TRUE(done);
    EXPECT_FALSE(r.waiting());
    ASSERT_EQ(done->buffers.size(), 2u);
    EXPECT_EQ(done->buffers[0], "first");
    EXPECT_EQ(done->buffers[1], "second");
    EXPECT_EQ(done->data->as_array()[0], "two");
}

TEST(SioReassembler, PacketsWithoutAttachmentsPassStraightThrough) {
    reassembler r;
    auto p = ok(R"(2["plain"])");
    EXPECT_TRUE(r.start(p));
    EXPECT_FALSE(r.waiting());
    EXPECT_EQ(p.data->as_array()[0], "plain");  // left alone
    auto zero = ok(R"(50-["zero"])");
    EXPECT_TRUE(r.start(zero));
}

TEST(SioReassembler, StrayBuffersAndResets) {
    reassembler r;
    EXPECT_FALSE(r.add("nobody asked"));
    auto p = ok(R"(51-["a",{"_placeholder":true,"num":0}])");
    EXPECT_FALSE(r.start(p));
    r.reset();
    EXPECT_FALSE(r.waiting());
    EXPECT_FALSE(r.add("after reset"));
}

TEST(SioWire, EventsBecomeOneTextMessageAndOneBinaryPerAttachment) {
    payload args;
    args.args.push_back(json::object{{"file", placeholder(0)}});
    args.attachments.push_back(std::string("\x00\x01", 2));
    auto p = make_event("/files", "upload", args, 3);
    EXPECT_EQ(p.type, packet_type::binary_event);
    auto wire = to_wire(p);
    ASSERT_EQ(wire.size(), 2u);
    EXPECT_FALSE(wire[0]->binary);
    EXPECT_EQ(wire[0]->data, R"(451-/files,3["upload",{"file":{"_placeholder":true,"num":0}}])");
    EXPECT_TRUE(wire[1]->binary);
    EXPECT_EQ(wire[1]->data, std::string("\x00\x01", 2));

    payload text;
    text.args.push_back(json::object{{"status", "connected"}});
    auto t = to_wire(make_event("/", "connection_response", text));
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0]->data, R"(42["connection_response",{"status":"connected"}])");
}

// Found by fuzz/fuzz_sio_packet: a number too large for a double (1e999)
// parses to infinity, as JavaScript's JSON.parse does, and is written back as
// null, as JSON.stringify does; the packet itself is valid and nothing breaks.
TEST(SioParser, ANumberJsonCannotHoldIsAcceptedAndWrittenAsNull) {
    auto r = decode("245[99e00009999999]");
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->id, 45u);
    EXPECT_EQ(encode(*r.value), "245[null]");
    auto reading = decode(R"(2["new_sun_data",{"solar_w":1e999}])");
    ASSERT_TRUE(reading.value) << reading.error;
    EXPECT_EQ(encode(*reading.value), R"(2["new_sun_data",{"solar_w":null}])");
}
