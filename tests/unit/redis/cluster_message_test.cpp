// The stream entries and sessions of @socket.io/redis-streams-adapter as
// cluster_message.hpp reads and writes them. The expected bytes were made by
// the npm packages themselves (@msgpack/msgpack 2.8.0, as the adapter 0.3.1
// uses it):
//   node -e 'const {encode}=require("@msgpack/msgpack");
//            console.log(Buffer.from(encode(DATA)).toString("base64"))'
#include "redis/cluster_message.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <limits>

using namespace solgrid;
using namespace solgrid::redis::cluster;
namespace json = boost::json;

namespace {

// {packet:{type:2,data:["bin",Buffer.from([1,2,3]),{x:1,y:2.5,z:null,t:true,s:"é"}]},
//  opts:{rooms:["r1"],except:["sidX"],flags:{}}}
const char* node_binary_broadcast =
    "gqZwYWNrZXSCpHR5cGUCpGRhdGGTo2JpbsQDAQIDhaF4AaF5y0AEAAAAAAAAoXrAoXTDoXOiw6mkb3B0c4Olcm9vbXORonIxpmV4Y2VwdJGkc2lkWKVm"
    "bGFnc4A=";
// {sid:"abc",pid:"p1",rooms:["abc","room"],data:{n:1}}
const char* node_session = "hKNzaWSjYWJjo3BpZKJwMaVyb29tc5KjYWJjpHJvb22kZGF0YYGhbgE=";

message decoded(const fields& f) {
    auto r = decode_entry(f);
    if (auto* why = std::get_if<std::string>(&r)) ADD_FAILURE() << *why;
    return std::holds_alternative<message>(r) ? std::get<message>(r) : message{};
}

std::string refused(const fields& f) {
    auto r = decode_entry(f);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "<accepted>";
}

}  // namespace

TEST(ClusterMessage, ABinaryBroadcastIsByteForByteWhatNodeWrites) {
    socketio::cluster_broadcast b;
    b.data = json::parse(R"(["bin",{"_placeholder":true,"num":0},{"x":1,"y":2.5,"z":null,"t":true,"s":"é"}])").as_array();
    b.attachments = {std::string("\x01\x02\x03", 3)};
    b.rooms = {"r1"};
    b.except = {"sidX"};
    EXPECT_EQ(encode_data(broadcast_data(b), b.attachments), node_binary_broadcast);
}

TEST(ClusterMessage, AJsonBroadcastIsWhatNodeWrites) {
    socketio::cluster_broadcast b;
    b.data = json::parse(R"(["new_sun_data",{"soc":50}])").as_array();
    b.except = {"sidX"};
    // JSON.stringify of the adapter's message data, keys in its order.
    EXPECT_EQ(encode_data(broadcast_data(b), {}),
              R"({"packet":{"type":2,"data":["new_sun_data",{"soc":50}]},"opts":{"rooms":[],"except":["sidX"],"flags":{}}})");
    // Numbers as solgrid writes them for clients; JSON has no infinity (found by fuzz_cluster_entry).
    b.data = json::array{"e", 2.5, std::numeric_limits<double>::infinity()};
    b.except.clear();
    EXPECT_EQ(encode_data(broadcast_data(b), {}),
              R"({"packet":{"type":2,"data":["e",2.5,null]},"opts":{"rooms":[],"except":[],"flags":{}}})");
}

TEST(ClusterMessage, ANodeBinaryBroadcastBecomesAttachments) {
    auto m = decoded({{"uid", "0123456789abcdef"}, {"nsp", "/"}, {"type", "3"}, {"data", node_binary_broadcast}});
    EXPECT_EQ(m.uid, "0123456789abcdef");
    EXPECT_EQ(m.type, 3);
    auto in = decode_broadcast(std::move(m));
    ASSERT_TRUE(in);
    EXPECT_EQ(json::serialize(in->b.data), R"(["bin",{"_placeholder":true,"num":0},{"x":1,"y":2.5E0,"z":null,"t":true,"s":"é"}])");
    ASSERT_EQ(in->b.attachments.size(), 1u);
    EXPECT_EQ(in->b.attachments[0], std::string("\x01\x02\x03", 3));
    EXPECT_EQ(in->b.rooms, std::vector<std::string>{"r1"});
    EXPECT_EQ(in->b.except, std::vector<std::string>{"sidX"});
    EXPECT_FALSE(in->is_volatile);
    EXPECT_FALSE(in->wants_ack);
}

TEST(ClusterMessage, AJsonBroadcastWithFlags) {
    auto m = decoded({{"uid", "u"},
                      {"nsp", "/"},
                      {"type", "3"},
                      {"data", R"({"packet":{"type":2,"data":["e",1]},"opts":{"rooms":["a","b"],"except":[],"flags":{"volatile":true}},"requestId":"x"})"}});
    auto in = decode_broadcast(std::move(m));
    ASSERT_TRUE(in);
    EXPECT_EQ(in->b.rooms, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(in->is_volatile);
    EXPECT_TRUE(in->wants_ack);
}

TEST(ClusterMessage, EntriesWithoutData) {
    auto m = decoded({{"uid", "u"}, {"nsp", "/"}, {"type", "2"}});
    EXPECT_EQ(m.type, 2);
    EXPECT_TRUE(m.data.empty());
}

TEST(ClusterMessage, MalformedEntriesAreRefusedWithAReason) {
    EXPECT_EQ(refused({{"uid", "u"}, {"type", "3"}}), "no nsp field");
    EXPECT_EQ(refused({{"uid", "u"}, {"nsp", "/"}}), "no or bad type field");
    EXPECT_EQ(refused({{"nsp", "/"}, {"type", "x3"}}), "no or bad type field");
    EXPECT_EQ(refused({{"nsp", "/"}, {"type", "12345"}}), "no or bad type field");
    EXPECT_EQ(refused({{"nsp", "/"}, {"type", "3"}, {"data", "{not json"}}), "data is not a JSON object");
    EXPECT_EQ(refused({{"nsp", "/"}, {"type", "3"}, {"data", "!!!"}}), "data is neither JSON nor base64");
    // base64 of msgpack bytes that end early (a str 8 of 5 bytes with 1)
    EXPECT_NE(refused({{"nsp", "/"}, {"type", "3"}, {"data", "2QVh"}}).find("not MessagePack"), std::string::npos);
    // base64 of msgpack 0x01 (a number, not a map)
    EXPECT_EQ(refused({{"nsp", "/"}, {"type", "3"}, {"data", "AQ=="}}), "data is not a map");
    // a map with an integer key: {1: 2}
    EXPECT_NE(refused({{"nsp", "/"}, {"type", "3"}, {"data", "gQEC"}}).find("not a string"), std::string::npos);
}

TEST(ClusterMessage, TextThatIsNotUtf8BecomesReplacementCharacters) {
    // {packet:{type:2,data:["e\xff","ok"]}} with a str holding a byte that is not UTF-8 (found by fuzz_cluster_entry)
    auto m = decoded({{"nsp", "/"}, {"type", "3"}, {"data", "gaZwYWNrZXSCpHR5cGUCpGRhdGGSomX/om9r"}});
    auto in = decode_broadcast(std::move(m));
    ASSERT_TRUE(in);
    EXPECT_EQ(in->b.data.at(0).as_string(), "e\xEF\xBF\xBD");
    EXPECT_EQ(in->b.data.at(1).as_string(), "ok");
}

TEST(ClusterMessage, OnlyThePacketsOwnBinaryBecomesAttachments) {
    // {in: bin(9,9,9), packet:{type:2,data:["e",bin(1,2)]}} (found by fuzz_cluster_entry)
    auto in = decode_broadcast(decoded({{"nsp", "/"}, {"type", "3"}, {"data", "gqJpbsQDCQkJpnBhY2tldIKkdHlwZQKkZGF0YZKhZcQCAQI="}}));
    ASSERT_TRUE(in);
    EXPECT_EQ(json::serialize(in->b.data), R"(["e",{"_placeholder":true,"num":0}])");
    EXPECT_EQ(in->b.attachments, std::vector<std::string>{std::string("\x01\x02", 2)});
}

TEST(ClusterMessage, BroadcastsThatAreNotEventsAreSkipped) {
    auto not_event = [](const std::string& data) {
        return !decode_broadcast(decoded({{"nsp", "/"}, {"type", "3"}, {"data", data}}));
    };
    EXPECT_TRUE(not_event(R"({})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":3,"data":["e"]}})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":2,"data":[]}})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":2,"data":"e"}})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":"r"}})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":[1]}})"));
    EXPECT_TRUE(not_event(R"({"packet":{"type":2,"data":["e"]},"opts":{"flags":{"local":true}}})"));
    EXPECT_FALSE(not_event(R"({"packet":{"type":2,"data":["e"]}})"));  // no opts: everyone
}

TEST(ClusterMessage, SessionsNodeStoredAreRead) {
    auto s = decode_session(node_session);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->sid, "abc");
    EXPECT_EQ(s->pid, "p1");
    EXPECT_EQ(s->rooms, (std::set<std::string>{"abc", "room"}));
    EXPECT_EQ(json::serialize(s->data), R"({"n":1})");
    EXPECT_FALSE(s->last);
    EXPECT_TRUE(s->offset_sent);  // only the client's offset can say where it resumes
}

TEST(ClusterMessage, SessionsRoundTripWithSolgridsFields) {
    socketio::cluster_session in{"sid1", "pid1", {"sid1", "household:A"}, json::object{{"k", "v"}},
                                 socketio::offset_key{1700000000000, 7}, false};
    auto s = decode_session(encode_session(in));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->sid, "sid1");
    EXPECT_EQ(s->rooms, in.rooms);
    ASSERT_TRUE(s->last);
    EXPECT_EQ(*s->last, (socketio::offset_key{1700000000000, 7}));
    EXPECT_FALSE(s->offset_sent);
    EXPECT_EQ(json::serialize(s->data), R"({"k":"v"})");
}

TEST(ClusterMessage, BadSessionsAreNotRestored) {
    EXPECT_FALSE(decode_session("not base64!"));
    EXPECT_FALSE(decode_session(""));
    EXPECT_FALSE(decode_session("AQ=="));          // a number
    EXPECT_FALSE(decode_session("gaNzaWSjYWJj"));  // {sid:"abc"}: no pid
}

TEST(ClusterMessage, StreamIds) {
    EXPECT_EQ(socketio::parse_stream_id("1700000000000-3"), (socketio::offset_key{1700000000000, 3}));
    EXPECT_EQ(socketio::to_stream_id({1700000000000, 3}), "1700000000000-3");
    for (const char* bad : {"", "-", "1-", "-1", "1", "a-1", "1-b", "1--1", "99999999999999999999999-1", "1-2-3"})
        EXPECT_FALSE(socketio::parse_stream_id(bad)) << bad;
    EXPECT_LT((socketio::offset_key{1, 9}), (socketio::offset_key{2, 0}));
}

TEST(ClusterMessage, UidsAreSixteenHexCharacters) {
    auto a = random_uid(), b = random_uid();
    EXPECT_EQ(a.size(), 16u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}
