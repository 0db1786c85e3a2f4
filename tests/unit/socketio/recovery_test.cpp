// socketio::server's connection-state recovery and broadcasts over
// in-memory Engine.IO sessions: replay after a drop, offsets only for
// clients that keep them, what a recovery refuses, broadcasts racing
// connects and closes.
#include "sio_test_support.hpp"

using namespace solgrid;
using namespace solgrid::test;

TEST_F(SioServer, RecoveryReplaysWhatWasMissedWithTheSameIdAndRooms) {
    make(with_recovery());
    client first(ioc, *sio);
    auto sid = first.connect();
    ASSERT_TRUE(first.last_connect.contains("pid"));
    auto pid = std::string(first.last_connect.at("pid").as_string());
    sockets[0]->join("team");
    sockets[0]->data["name"] = "kept";

    root().emit("news", args({1}));
    EXPECT_EQ(first.next(), R"(42["news",1])");  // a first connection gets no offset
    first.drop(engineio::close_reason::transport_close);
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));

    root().emit("news", args({2}));
    root().to("team").emit("team-news", args({3}));
    root().to("other").emit("not-for-us", args({4}));

    client again(ioc, *sio);
    auto sid2 = again.connect("/", R"({"pid":")" + pid + R"(","offset":"1"})");
    EXPECT_EQ(sid2, sid);
    EXPECT_EQ(again.last_connect.at("pid").as_string(), pid);
    EXPECT_EQ(again.next(), R"(42["news",2,"2"])");
    EXPECT_EQ(again.next(), R"(42["team-news",3,"3"])");
    root().emit("live", {});
    EXPECT_EQ(again.next(), R"(42["live","5"])");

    ASSERT_EQ(sockets.size(), 2u);
    EXPECT_TRUE(sockets[1]->recovered());
    EXPECT_EQ(sockets[1]->id(), sid);
    EXPECT_TRUE(sockets[1]->rooms().count("team"));
    EXPECT_EQ(sockets[1]->data.at("name"), "kept");
    EXPECT_FALSE(sockets[1]->handshake().auth.contains("pid"));
    EXPECT_FALSE(sockets[1]->handshake().auth.contains("offset"));
}

TEST_F(SioServer, RecoveryAfterAQuietConnection) {
    // The client never got a packet with an offset, so it sends none.
    make(with_recovery());
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    first.drop(engineio::close_reason::ping_timeout);
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    root().emit("while-away", args({"x"}));

    client again(ioc, *sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"("})"), sid);
    EXPECT_EQ(again.next(), R"(42["while-away","x","1"])");
    EXPECT_TRUE(sockets.back()->recovered());
}

TEST_F(SioServer, NoRecoveryForAnUnknownPidOrABadOffset) {
    make(with_recovery());
    std::vector<std::unique_ptr<client>> dropped;
    // A client that keeps offsets (it presented a pid), got one, and
    // dropped; returns its {sid, pid, offset}.
    auto drop_one = [&] {
        dropped.push_back(std::make_unique<client>(ioc, *sio));
        auto sid = dropped.back()->connect("/", R"({"pid":"from an earlier life"})");
        auto pid = std::string(dropped.back()->last_connect.at("pid").as_string());
        root().emit("tick", {});
        auto tick = dropped.back()->next();  // 42["tick","N"]
        auto offset = tick.substr(tick.find(",\"") + 2, tick.size() - tick.find(",\"") - 4);
        dropped.back()->drop();
        EXPECT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
        return std::tuple{sid, pid, offset};
    };
    // The control: with its own offset it recovers.
    {
        auto [sid, pid, offset] = drop_one();
        client c(ioc, *sio);
        EXPECT_EQ(c.connect("/", R"({"pid":")" + pid + R"(","offset":")" + offset + R"("})"), sid);
        EXPECT_TRUE(sockets.back()->recovered());
        c.drop();
        ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    }
    for (std::string offset : {R"("999")", R"("1x")", R"("")", R"("-1")"}) {
        auto [sid, pid, good] = drop_one();
        client c(ioc, *sio);
        EXPECT_NE(c.connect("/", R"({"pid":")" + pid + R"(","offset":)" + offset + "}"), sid) << offset;
        EXPECT_FALSE(sockets.back()->recovered()) << offset;
        c.drop();
        ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    }
    {
        auto [sid, pid, offset] = drop_one();
        client c(ioc, *sio);
        EXPECT_NE(c.connect("/", R"({"pid":"someone else","offset":")" + offset + R"("})"), sid);
        EXPECT_FALSE(sockets.back()->recovered());
    }
}

TEST_F(SioServer, AClientWeSentNoOffsetRecoversWhateverOffsetItReports) {
    // socket.io-client takes the last argument of any event for an offset
    // when it is a string: a first connection that got ["news","hello"]
    // reports "hello". We never sent it an offset, so what we queued to it
    // is the start.
    make(with_recovery());
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    root().emit("news", args({"hello"}));
    EXPECT_EQ(first.next(), R"(42["news","hello"])");
    first.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    root().emit("news", args({"missed"}));
    client again(ioc, *sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"(","offset":"hello"})"), sid);
    EXPECT_TRUE(sockets.back()->recovered());
    EXPECT_EQ(again.next(), R"(42["news","missed","2"])");
}

TEST_F(SioServer, NoRecoveryAfterTheClientLeftOnPurpose) {
    make(with_recovery());
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    first.send("41");
    ASSERT_EQ(root().socket_count(), 0u);
    client again(ioc, *sio);
    EXPECT_NE(again.connect("/", R"({"pid":")" + pid + R"("})"), sid);
    EXPECT_FALSE(sockets.back()->recovered());
}

TEST_F(SioServer, NoRecoveryOnceTheWindowHasPassed) {
    make(with_recovery(std::chrono::milliseconds(20)));
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    first.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    client again(ioc, *sio);
    EXPECT_NE(again.connect("/", R"({"pid":")" + pid + R"("})"), sid);
}

TEST_F(SioServer, NoRecoveryOnceWhatWasMissedHasExpired) {
    // Broadcasts sent while the client was away are kept for the window
    // only; a client whose missed packets are gone starts afresh.
    make(with_recovery(std::chrono::milliseconds(50)));
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    root().emit("tick", {});
    EXPECT_EQ(first.next(), R"(42["tick"])");
    first.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    root().emit("tick", {});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client again(ioc, *sio);
    EXPECT_NE(again.connect("/", R"({"pid":")" + pid + R"(","offset":"1"})"), sid);
    EXPECT_FALSE(sockets.back()->recovered());
}

TEST_F(SioServer, NoOffsetsWithoutRecovery) {
    make();
    client c(ioc, *sio);
    c.connect();
    root().emit("plain", args({1}));
    EXPECT_EQ(c.next(), R"(42["plain",1])");
}

TEST_F(SioServer, OffsetsOnlyForClientsThatPresentedAPid) {
    // A client with one-argument handlers (python-socketio) never sends a
    // pid and must get each event exactly as emitted; socket.io-client
    // sends its pid on every reconnection, and from then on gets offsets.
    make(with_recovery());
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());  // still offered
    EXPECT_FALSE(sockets.back()->keeps_offsets());
    client plain(ioc, *sio);
    plain.connect();
    root().emit("news", args({1}));
    EXPECT_EQ(first.next(), R"(42["news",1])");
    EXPECT_EQ(plain.next(), R"(42["news",1])");
    root().to(sid).emit("to-one", args({2}));  // the targeted path too
    EXPECT_EQ(first.next(), R"(42["to-one",2])");

    // Dropped with offset 2 queued to it; back with its pid and no offset
    // (it never saw one): what it missed, then live events, with offsets.
    first.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 1; }));
    root().emit("missed", args({3}));
    EXPECT_EQ(plain.next(), R"(42["missed",3])");
    client again(ioc, *sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"("})"), sid);
    EXPECT_TRUE(sockets.back()->recovered());
    EXPECT_TRUE(sockets.back()->keeps_offsets());
    EXPECT_EQ(again.next(), R"(42["missed",3,"3"])");
    root().emit("live", args({4}));
    EXPECT_EQ(again.next(), R"(42["live",4,"4"])");
    EXPECT_EQ(plain.next(), R"(42["live",4])");  // same broadcast, no offset
    root().except("nobody").emit("binary", [] {
        socketio::payload p;
        p.args.push_back(json::object{{"_placeholder", true}, {"num", 0}});
        p.attachments.push_back("\x01\x02");
        return p;
    }());
    EXPECT_EQ(again.next(), R"(451-["binary",{"_placeholder":true,"num":0},"5"])");
    EXPECT_EQ(again.next(), "bAQI=");
    EXPECT_EQ(plain.next(), R"(451-["binary",{"_placeholder":true,"num":0}])");
    EXPECT_EQ(plain.next(), "bAQI=");

    // A pid the server no longer knows: not recovered, but the client keeps
    // offsets all the same.
    client stranger(ioc, *sio);
    EXPECT_NE(stranger.connect("/", R"({"pid":"expired"})"), sid);
    EXPECT_FALSE(sockets.back()->recovered());
    EXPECT_TRUE(sockets.back()->keeps_offsets());
    root().emit("hello", {});
    EXPECT_EQ(stranger.next(), R"(42["hello","6"])");
}

TEST_F(SioServer, BroadcastsFromAnotherThreadWhileClientsComeAndGo) {
    // emit() snapshots its targets under the namespace lock and writes
    // after releasing it: a session that closes, or whose last owner lets
    // go, meanwhile must neither crash it nor be written to after it closed.
    make(with_recovery());
    std::atomic<bool> stop{false};
    std::atomic<int> emitted{0};
    std::thread emitter([&] {
        while (!stop) {
            root().emit("tick", args({emitted.load()}));
            ++emitted;
        }
    });
    for (int i = 0; i < 200; ++i) {
        auto c = std::make_unique<client>(ioc, *sio);
        c->send("40");
        ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 1; }));
        // Broadcasts reach it (the emitter's progress, not a time).
        auto before = emitted.load();
        ASSERT_TRUE(run_until(ioc, [&] { return emitted.load() > before + 1; }));
        c->drop(i % 2 ? engineio::close_reason::transport_close : engineio::close_reason::server_close);
        ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
        c.reset();  // the test's reference goes; a snapshot may hold the last one
        run_ready(ioc);
    }
    stop = true;
    emitter.join();
    run_ready(ioc);
    EXPECT_GT(emitted.load(), 0);
    EXPECT_EQ(root().socket_count(), 0u);
}

TEST_F(SioServer, ABroadcastWhileARecoveringClientConnectsIsReplayedAfterItsConnect) {
    // Between finding what a client missed and adding it to the namespace
    // the middlewares run; a broadcast then (here from a middleware, as one
    // from another thread could) was neither missed nor live, and was lost.
    make(with_recovery());
    bool broadcast_in_middleware = false;
    root().use([&](socketio::socket&) -> std::optional<socketio::connect_error> {
        if (broadcast_in_middleware) root().emit("during", args({"connect"}));
        return std::nullopt;
    });
    client first(ioc, *sio);
    auto sid = first.connect();
    auto pid = std::string(first.last_connect.at("pid").as_string());
    first.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 0; }));
    broadcast_in_middleware = true;
    client again(ioc, *sio);
    EXPECT_EQ(again.connect("/", R"({"pid":")" + pid + R"("})"), sid);  // the CONNECT reply first
    EXPECT_TRUE(sockets.back()->recovered());
    EXPECT_EQ(again.next(), R"(42["during","connect","1"])");
    root().emit("live", {});
    EXPECT_EQ(again.next(), R"(42["live","2"])");
}
