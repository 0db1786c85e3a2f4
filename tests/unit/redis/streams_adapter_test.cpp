// Two Socket.IO servers in one process, each with its own Redis adapter on
// the real test Redis (SOLGRID_TEST_REDIS_URL; a private redis-server for the
// outage case), with in-memory long-polling clients: broadcasts cross, in the
// stream's order and with its ids as offsets; rooms and except hold on the
// other side; entries written as Node writes them are delivered (binary
// included) and malformed ones are skipped; a client recovers on the other
// server after a drop and after its server went silent; a Redis outage
// leaves local delivery working.
#include "../socketio/sio_test_support.hpp"
#include "redis_test_support.hpp"

#include "redis/cluster_message.hpp"
#include "redis/connection.hpp"
#include "redis/streams_adapter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <regex>

using namespace solgrid;
using namespace solgrid::test;
using namespace solgrid::redis::test_support;
using namespace std::chrono_literals;

namespace {

#define EXPECT_PREFIX(record, prefix)                                   \
    do {                                                                \
        const std::string got_ = (record);                              \
        EXPECT_EQ(got_.substr(0, std::string(prefix).size()), prefix);  \
    } while (0)

struct instance {
    std::unique_ptr<socketio::server> sio;
    std::shared_ptr<redis::streams_adapter> cluster;
    std::vector<socketio::socket_ptr> sockets;
    socketio::namespace_& root() { return sio->of("/"); }
};

class RedisAdapter : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        auto where = shared_server(why);
        if (!where) GTEST_FAIL() << why;
        server = *where;
        stream = unique_key("stream-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    }
    void TearDown() override {
        for (auto& i : instances) {
            bool done = false;
            boost::asio::co_spawn(ioc, stop(i.cluster, done), boost::asio::detached);
            run_until(ioc, [&] { return done; }, 5s);
        }
    }
    static boost::asio::awaitable<void> stop(std::shared_ptr<redis::streams_adapter> c, bool& done) {
        auto op = c->shutdown();
        co_await std::move(op);
        done = true;
    }

    instance& add(redis::endpoint where, std::chrono::milliseconds window = 2min) {
        instances.emplace_back();
        auto& i = instances.back();
        i.sio = std::make_unique<socketio::server>(with_recovery(window));
        auto* self = &i;
        i.root().on_connection([self](const socketio::socket_ptr& s) { self->sockets.push_back(s); });
        redis::streams_options o;
        o.where = std::move(where);
        o.stream = stream;
        o.session_prefix = stream + ":session:";
        o.recovery_window = window;
        o.block = 200ms;
        i.cluster = redis::streams_adapter::create(ioc.get_executor(), o);
        i.cluster->attach(i.root());
        i.cluster->start();
        EXPECT_TRUE(run_until(ioc, [&] { return i.cluster->connected(); }, 5s));
        return i;
    }

    socketio::payload args(std::initializer_list<json::value> a) {
        socketio::payload p;
        for (auto& v : a) p.args.push_back(v);
        return p;
    }

    // Runs a command on a connection of its own (as another server would).
    redis::value command(std::vector<std::string> args) {
        redis::value out;
        bool done = false;
        boost::asio::co_spawn(ioc, raw(server, std::move(args), out, done), boost::asio::detached);
        EXPECT_TRUE(run_until(ioc, [&] { return done; }, 5s));
        return out;
    }
    static boost::asio::awaitable<void> raw(redis::endpoint where, std::vector<std::string> args, redis::value& out,
                                            bool& done) {
        redis::connection_options o;
        o.where = where;
        auto c = redis::connection::create(co_await boost::asio::this_coro::executor, o);
        try {
            co_await c->connect();
            auto op = c->command(args);
            out = co_await std::move(op);
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
        }
        c->close();
        done = true;
    }

    // `42["event",...,"<id>"]` → the id.
    static std::string offset_of(const std::string& record) {
        static const std::regex id(R"re(,"([0-9]+-[0-9]+)"\]$)re");
        std::smatch m;
        return std::regex_search(record, m, id) ? m[1].str() : "";
    }

    boost::asio::io_context ioc;
    redis::endpoint server;
    std::string stream;
    std::deque<instance> instances;
};

}  // namespace

TEST_F(RedisAdapter, BroadcastsCrossInstancesWithTheStreamIdAsOffset) {
    auto& a = add(server);
    auto& b = add(server);
    client on_a(ioc, *a.sio), on_b(ioc, *b.sio);
    auto sid_a = on_a.connect();
    on_b.connect();

    a.root().emit("news", args({1}));
    auto got_a = on_a.next(), got_b = on_b.next();
    EXPECT_EQ(got_a, got_b);  // the same bytes, the same offset on both servers
    EXPECT_PREFIX(got_a, R"(42["news",1,")");
    EXPECT_FALSE(offset_of(got_a).empty()) << got_a;

    // except (a socket id is a room) and rooms, decided on the receiving side
    b.root().except(sid_a).emit("not-for-a", args({2}));
    a.sockets[0]->join("team");
    b.root().to("team").emit("for-team", args({3}));
    b.root().emit("all", args({4}));
    EXPECT_PREFIX(on_b.next(), R"(42["not-for-a",2,)");
    EXPECT_PREFIX(on_a.next(), R"(42["for-team",3,)");
    EXPECT_PREFIX(on_a.next(), R"(42["all",4,)");
    EXPECT_PREFIX(on_b.next(), R"(42["all",4,)");
    EXPECT_GE(a.cluster->stats().published, 1u);
    EXPECT_GE(a.cluster->stats().received, 3u);

    // What sits in the stream is what Node's adapter reads.
    auto entries = command({"XRANGE", stream, offset_of(got_a), offset_of(got_a)});
    ASSERT_EQ(entries.elements.size(), 1u);
    const auto& f = entries.elements[0].elements[1].elements;
    ASSERT_EQ(f.size(), 8u);
    EXPECT_EQ(f[0].str, "uid");
    EXPECT_TRUE(std::regex_match(f[1].str, std::regex("[0-9a-f]{16}"))) << f[1].str;
    EXPECT_EQ(f[2].str, "nsp");
    EXPECT_EQ(f[3].str, "/");
    EXPECT_EQ(f[4].str, "type");
    EXPECT_EQ(f[5].str, "3");
    EXPECT_EQ(f[6].str, "data");
    EXPECT_EQ(f[7].str, R"({"packet":{"type":2,"data":["news",1]},"opts":{"rooms":[],"except":[],"flags":{}}})");
}

TEST_F(RedisAdapter, EntriesWrittenAsNodeWritesThemAreDeliveredAndBadOnesSkipped) {
    auto& a = add(server);
    client c(ioc, *a.sio);
    c.connect();
    a.sockets[0]->join("r1");
    command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/", "type", "3", "data", "{broken"});
    command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/nope", "type", "3", "data", "{}"});
    // {packet:{type:2,data:["bin",Buffer.from([1,2,3]),{...}]},opts:{rooms:["r1"],except:["sidX"]}} by @msgpack/msgpack
    auto id = command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/", "type", "3", "data",
                       "gqZwYWNrZXSCpHR5cGUCpGRhdGGTo2JpbsQDAQIDhaF4AaF5y0AEAAAAAAAAoXrAoXTDoXOiw6mkb3B0c4Olcm9vbXOR"
                       "onIxpmV4Y2VwdJGkc2lkWKVmbGFnc4A="});
    EXPECT_EQ(c.next(),
              R"(451-["bin",{"_placeholder":true,"num":0},{"x":1,"y":2.5,"z":null,"t":true,"s":"é"},")" + id.str + R"("])");
    EXPECT_EQ(c.next(), "bAQID");  // the attachment, base64 over polling
    // A room this socket is not in: nothing; then a JSON one to everyone.
    command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/", "type", "3", "data",
             R"({"packet":{"type":2,"data":["x"]},"opts":{"rooms":["other"],"except":[],"flags":{}}})"});
    auto id2 = command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/", "type", "3", "data",
                        R"({"packet":{"type":2,"data":["json",{"a":[1,2]}]},"opts":{"rooms":[],"except":[],"flags":{}}})"});
    EXPECT_EQ(c.next(), R"(42["json",{"a":[1,2]},")" + id2.str + R"("])");
    EXPECT_EQ(a.cluster->stats().malformed, 1u);

    // SOCKETS_JOIN from another server, then a broadcast to the joined room
    command({"XADD", stream, "*", "uid", "0123456789abcdef", "nsp", "/", "type", "4", "data",
             R"({"opts":{"rooms":["r1"],"except":[],"flags":{}},"rooms":["joined"]})"});
    ASSERT_TRUE(run_until(ioc, [&] { return a.sockets[0]->rooms().count("joined") == 1; }, 5s));
}

TEST_F(RedisAdapter, AClientRecoversOnTheOtherServerAfterADrop) {
    auto& a = add(server);
    auto& b = add(server);
    client first(ioc, *a.sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    a.sockets[0]->join("team");
    a.root().emit("news", args({1}));
    auto offset = offset_of(first.next());
    ASSERT_FALSE(offset.empty());
    first.drop(engineio::close_reason::transport_close);
    ASSERT_TRUE(run_until(ioc, [&] { return a.cluster->stats().sessions_stored == 1; }, 5s));

    b.root().emit("while-away", args({2}));
    b.root().to("team").emit("team-news", args({3}));
    a.root().to("other").emit("not-for-us", args({4}));

    client again(ioc, *b.sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"(","offset":")" + offset + R"("})"), sid);
    EXPECT_PREFIX(again.next(), R"(42["while-away",2,")");
    EXPECT_PREFIX(again.next(), R"(42["team-news",3,")");
    a.root().emit("live", args({5}));
    EXPECT_PREFIX(again.next(), R"(42["live",5,")");  // once: not also replayed
    ASSERT_EQ(b.sockets.size(), 1u);
    EXPECT_TRUE(b.sockets[0]->recovered());
    EXPECT_TRUE(b.sockets[0]->rooms().count("team"));
    EXPECT_EQ(b.cluster->stats().sessions_restored, 1u);

    // A session is consumed by its first recovery.
    client third(ioc, *a.sio);
    EXPECT_NE(third.connect("/", R"({"pid":")" + pid + R"(","offset":")" + offset + R"("})"), sid);
}

TEST_F(RedisAdapter, AClientRecoversFromAServerThatWentSilent) {
    auto& a = add(server);
    auto& b = add(server);
    client first(ioc, *a.sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    a.sockets[0]->join("team");  // the live session follows room changes
    b.root().to("team").emit("for-team", args({1}));
    auto offset = offset_of(first.next());
    ASSERT_FALSE(offset.empty());
    // Server a is gone for its client (killed, say): it never said goodbye,
    // and the client comes back through b.
    b.root().emit("while-away", args({2}));
    client again(ioc, *b.sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"(","offset":")" + offset + R"("})"), sid);
    EXPECT_PREFIX(again.next(), R"(42["while-away",2,")");
    ASSERT_EQ(b.sockets.size(), 1u);
    EXPECT_TRUE(b.sockets[0]->recovered());
    EXPECT_TRUE(b.sockets[0]->rooms().count("team"));
}

TEST_F(RedisAdapter, ABadOrTrimmedOffsetIsAFreshSession) {
    auto& a = add(server);
    auto& b = add(server);
    client first(ioc, *a.sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    a.root().emit("news", args({1}));
    first.next();
    first.drop(engineio::close_reason::ping_timeout);
    ASSERT_TRUE(run_until(ioc, [&] { return a.cluster->stats().sessions_stored == 1; }, 5s));
    client again(ioc, *b.sio);
    EXPECT_NE(again.connect("/", R"({"pid":")" + pid + R"(","offset":"1-0"})"), sid);  // not in the stream
    EXPECT_FALSE(b.sockets.back()->recovered());
}

TEST_F(RedisAdapter, ARedisOutageLeavesLocalDeliveryAndTheAdapterComesBack) {
    redis_process own;
    own.start();
    auto& a = add(own.where());
    auto& b = add(own.where());
    client on_a(ioc, *a.sio), on_b(ioc, *b.sio);
    on_a.connect();
    on_b.connect();
    own.kill();
    ASSERT_TRUE(run_until(ioc, [&] { return !a.cluster->connected() && !b.cluster->connected(); }, 5s));
    a.root().emit("local", args({1}));
    EXPECT_EQ(on_a.next(), R"(42["local",1])");  // no offset: it is in no stream
    EXPECT_GE(a.cluster->stats().publish_failures, 1u);
    own.start();
    ASSERT_TRUE(run_until(ioc, [&] { return a.cluster->connected() && b.cluster->connected(); }, 15s));
    a.root().emit("back", args({2}));
    EXPECT_PREFIX(on_a.next(), R"(42["back",2,")");
    EXPECT_PREFIX(on_b.next(), R"(42["back",2,")");  // and "local" never reached b
}
