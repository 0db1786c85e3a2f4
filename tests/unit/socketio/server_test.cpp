// socketio::server over in-memory Engine.IO sessions (long-polling driven
// by the test): the CONNECT flow, namespaces, middlewares, events and acks
// both ways, binary packets, rooms, and packets a hostile client may send.
// Connection-state recovery and broadcasts: recovery_test.cpp.
#include "sio_test_support.hpp"

using namespace solgrid;
using namespace solgrid::test;

TEST_F(SioServer, ConnectToTheDefaultNamespace) {
    make();
    client c(ioc, *sio);
    auto sid = c.connect();
    EXPECT_EQ(sid.size(), 20u);
    EXPECT_FALSE(c.last_connect.contains("pid"));  // recovery is off
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_EQ(sockets[0]->id(), sid);
    EXPECT_FALSE(sockets[0]->recovered());
    EXPECT_EQ(root().socket_count(), 1u);
    EXPECT_EQ(sio->client_count(), 1u);
}

TEST_F(SioServer, TheAuthPayloadReachesTheHandshake) {
    make();
    client c(ioc, *sio);
    c.connect("/", R"({"token":"abc","n":1})");
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_EQ(sockets[0]->handshake().auth.at("token"), "abc");
    EXPECT_EQ(sockets[0]->handshake().auth.at("n"), 1);
}

TEST_F(SioServer, AnUnknownNamespaceIsAConnectError) {
    make();
    client c(ioc, *sio);
    c.send("40/nope,");
    EXPECT_EQ(c.next(), R"(44/nope,{"message":"Invalid namespace"})");
    EXPECT_FALSE(c.closed());
    // The client may still connect elsewhere.
    EXPECT_FALSE(c.connect().empty());
}

TEST_F(SioServer, SeveralNamespacesOnOneConnection) {
    make();
    auto& custom = sio->of("/custom");
    std::vector<socketio::socket_ptr> custom_sockets;
    custom.on_connection([&](const socketio::socket_ptr& s) { custom_sockets.push_back(s); });
    client c(ioc, *sio);
    auto a = c.connect("/");
    auto b = c.connect("/custom");
    EXPECT_NE(a, b);
    ASSERT_EQ(custom_sockets.size(), 1u);
    custom.emit("only-custom", args({1}));
    EXPECT_EQ(c.next(), R"(42/custom,["only-custom",1])");
    // A second CONNECT to a namespace already joined is ignored.
    c.send("40");
    root().emit("marker", {});
    EXPECT_EQ(c.next(), R"(42["marker"])");
    EXPECT_EQ(sockets.size(), 1u);
}

TEST_F(SioServer, AMiddlewareMayRefuseWithData) {
    make();
    auto& priv = sio->of("/private");
    priv.use([](socketio::socket& s) -> std::optional<socketio::connect_error> {
        auto* token = s.handshake().auth.if_contains("token");
        if (token && *token == "secret") return std::nullopt;
        return socketio::connect_error{"not authorized", json::value(json::object{{"retry", false}})};
    });
    int connected = 0;
    priv.on_connection([&](const socketio::socket_ptr&) { ++connected; });
    client c(ioc, *sio);
    c.send("40/private,{\"token\":\"wrong\"}");
    EXPECT_EQ(c.next(), R"(44/private,{"message":"not authorized","data":{"retry":false}})");
    EXPECT_EQ(connected, 0);
    EXPECT_EQ(priv.socket_count(), 0u);
    c.connect("/private", R"({"token":"secret"})");
    EXPECT_EQ(connected, 1);
}

TEST_F(SioServer, MiddlewaresRunInOrderRefuseOrAttachAnIdentity) {
    // The chain access control will use: one middleware refuses without a
    // known token, the next attaches who the client is; handlers see it.
    make();
    auto& priv = sio->of("/private");
    std::vector<std::string> ran;
    priv.use([&](socketio::socket& s) -> std::optional<socketio::connect_error> {
        ran.push_back("authenticate");
        auto* token = s.handshake().auth.if_contains("token");
        if (!token || !token->is_string()) return socketio::connect_error{"authentication required", std::nullopt};
        if (*token != "alice-token") return socketio::connect_error{"unknown token", json::value(json::object{{"retry", false}})};
        s.set_identity({{"user", "alice"}, {"household", "h1"}});
        return std::nullopt;
    });
    priv.use([&](socketio::socket& s) -> std::optional<socketio::connect_error> {
        ran.push_back("authorize:" + std::string(s.identity().contains("user") ? s.identity().at("user").as_string() : ""));
        return std::nullopt;
    });
    std::vector<json::object> seen;
    priv.on_connection([&](const socketio::socket_ptr& s) { seen.push_back(s->identity()); });

    client c(ioc, *sio);
    c.send("40/private,");
    EXPECT_EQ(c.next(), R"(44/private,{"message":"authentication required"})");
    c.send(R"(40/private,{"token":"mallory"})");
    EXPECT_EQ(c.next(), R"(44/private,{"message":"unknown token","data":{"retry":false}})");
    EXPECT_EQ(ran, (std::vector<std::string>{"authenticate", "authenticate"}));  // the chain stopped at the refusal
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(priv.socket_count(), 0u);
    EXPECT_FALSE(c.closed());  // refused from the namespace, not disconnected

    c.connect("/private", R"({"token":"alice-token"})");
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], (json::object{{"user", "alice"}, {"household", "h1"}}));
    EXPECT_EQ(ran.back(), "authorize:alice");
    EXPECT_TRUE(sio->of("/").socket_count() == 0u);
    // The default namespace, without middlewares: no identity.
    c.connect();
    ASSERT_FALSE(sockets.empty());
    EXPECT_TRUE(sockets.back()->identity().empty());
}

TEST_F(SioServer, EventsReachTheirHandlerWithAndWithoutAck) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.send(R"(42["record",1,{"a":[true,null]}])");
    c.send(R"(4277["record","x"])");
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].args, json::parse(R"([1,{"a":[true,null]}])").as_array());
    EXPECT_FALSE(had_ack[0]);
    EXPECT_TRUE(had_ack[1]);
}

TEST_F(SioServer, ClientToServerAck) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.send(R"(4212["echo","hi",{"n":2}])");
    EXPECT_EQ(c.next(), R"(4312["hi",{"n":2}])");
    // A huge (but legal) ack id comes back unchanged.
    c.send(R"(42123456789012345678["echo"])");
    EXPECT_EQ(c.next(), "43123456789012345678[]");
}

TEST_F(SioServer, ServerToClientAck) {
    make();
    client c(ioc, *sio);
    c.connect();
    ASSERT_EQ(sockets.size(), 1u);
    std::optional<std::optional<std::string>> error;
    socketio::payload answer;
    sockets[0]->emit_with_ack("question", args({"why"}), std::chrono::seconds(60),
                              [&](std::optional<std::string> e, socketio::payload p) {
                                  error = e;
                                  answer = std::move(p);
                              });
    EXPECT_EQ(c.next(), R"(420["question","why"])");
    c.send(R"(430["because",42])");
    ASSERT_TRUE(run_until(ioc, [&] { return error.has_value(); }));
    EXPECT_FALSE(*error);
    EXPECT_EQ(answer.args, json::parse(R"(["because",42])").as_array());
    // A second (late or forged) ack for the same id is ignored.
    c.send(R"(430["again"])");
    EXPECT_FALSE(c.closed());
}

TEST_F(SioServer, ServerToClientAckTimesOut) {
    make();
    client c(ioc, *sio);
    c.connect();
    std::optional<std::optional<std::string>> error;
    sockets[0]->emit_with_ack("question", {}, std::chrono::milliseconds(100),
                              [&](std::optional<std::string> e, socketio::payload) { error = e; });
    EXPECT_EQ(c.next(), R"(420["question"])");
    ASSERT_TRUE(run_until(ioc, [&] { return error.has_value(); }));
    ASSERT_TRUE(*error);
    EXPECT_EQ(**error, "operation has timed out");
    c.send(R"(430["too late"])");  // ignored
    EXPECT_FALSE(c.closed());
}

TEST_F(SioServer, PendingAcksFailWhenTheClientGoes) {
    make();
    client c(ioc, *sio);
    c.connect();
    std::optional<std::optional<std::string>> error;
    sockets[0]->emit_with_ack("question", {}, std::chrono::seconds(60),
                              [&](std::optional<std::string> e, socketio::payload) { error = e; });
    EXPECT_EQ(c.next(), R"(420["question"])");
    c.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return error.has_value(); }));
    EXPECT_EQ(error->value_or(""), "socket has been disconnected");
}

TEST_F(SioServer, BinaryEventWithAckComesBackAsBinaryAck) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.send("451-7[\"echo\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAQID");
    EXPECT_EQ(c.next(), R"(461-7[{"_placeholder":true,"num":0}])");
    EXPECT_EQ(c.next(), "bAQID");
}

TEST_F(SioServer, BinaryAttachmentsMaySpanPosts) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.send(R"(452-["record",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])");
    EXPECT_TRUE(received.empty());
    c.send("bAA==");
    EXPECT_TRUE(received.empty());
    c.send("b/w==");
    ASSERT_EQ(received.size(), 1u);
    ASSERT_EQ(received[0].attachments.size(), 2u);
    EXPECT_EQ(received[0].attachments[0], std::string("\x00", 1));
    EXPECT_EQ(received[0].attachments[1], "\xff");
}

TEST_F(SioServer, ServerBinaryEmit) {
    make();
    client c(ioc, *sio);
    c.connect();
    socketio::payload p;
    p.args.push_back(json::object{{"data", socketio::placeholder(0)}});
    p.attachments.push_back("\x01\x02\x03");
    sockets[0]->emit("file", std::move(p));
    EXPECT_EQ(c.next(), R"(451-["file",{"data":{"_placeholder":true,"num":0}}])");
    EXPECT_EQ(c.next(), "bAQID");
}

TEST_F(SioServer, MalformedPacketsCloseThatClientOnly) {
    make();
    client bystander(ioc, *sio);
    bystander.connect();
    for (const char* bad : {"4", "49", "42", "42[", "42{}", R"(42["connect"])", R"(42["disconnect",1])",
                            R"(451-["a",{"_placeholder":true,"num":3}])", R"(44{"message":"server-only"})",
                            "4201234567890123456789[\"x\"]", "40[1]"}) {
        client c(ioc, *sio);
        c.connect();
        c.send(bad);
        EXPECT_TRUE(c.wait_closed()) << bad;
    }
    EXPECT_FALSE(bystander.closed());
    root().emit("still-here", {});
    EXPECT_EQ(bystander.next(), R"(42["still-here"])");
}

TEST_F(SioServer, BinaryOutOfOrderClosesTheClient) {
    make();
    {
        client c(ioc, *sio);
        c.connect();
        c.send("bAQID");  // an attachment nobody announced
        EXPECT_TRUE(c.wait_closed());
    }
    {
        client c(ioc, *sio);
        c.connect();
        c.send(R"(451-["record",{"_placeholder":true,"num":0}])");
        c.send(R"(42["record"])");  // text while an attachment is still due
        EXPECT_TRUE(c.wait_closed());
        EXPECT_TRUE(received.empty());
    }
}

TEST_F(SioServer, EventsForANamespaceNotJoinedAreIgnored) {
    make();
    sio->of("/other");
    client c(ioc, *sio);
    c.connect();
    c.send(R"(42/other,["record"])");
    c.send(R"(42/nowhere,["record"])");
    EXPECT_FALSE(c.closed());
    EXPECT_TRUE(received.empty());
}

TEST_F(SioServer, ClientDisconnectFromANamespace) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.send("41");
    ASSERT_EQ(disconnects.size(), 1u);
    EXPECT_EQ(disconnects[0], "client namespace disconnect");
    EXPECT_EQ(root().socket_count(), 0u);
    EXPECT_FALSE(c.closed());  // the connection itself stays
    c.send(R"(42["record"])");  // no longer connected there: ignored
    EXPECT_TRUE(received.empty());
}

TEST_F(SioServer, ServerDisconnect) {
    make();
    client c(ioc, *sio);
    c.connect();
    sockets[0]->disconnect();
    EXPECT_EQ(c.next(), "41");
    ASSERT_TRUE(run_until(ioc, [&] { return disconnects.size() == 1; }));
    EXPECT_EQ(disconnects[0], "server namespace disconnect");
    EXPECT_FALSE(c.closed());
    // disconnect(true): the client must get the DISCONNECT before the close,
    // or socket.io-client takes it for a network failure and reconnects.
    client d(ioc, *sio);
    d.connect();
    d.hold();
    sockets[1]->disconnect(true);
    // The close packet on a GET of its own: in one payload with the
    // DISCONNECT, socket.io-client would act on the close first.
    EXPECT_EQ(d.held_body(), "41");
    EXPECT_EQ(d.next(), "1");
    EXPECT_TRUE(d.wait_closed());
    // Also when no GET is held at that moment.
    client e(ioc, *sio);
    e.connect();
    sockets[2]->disconnect(true);
    EXPECT_TRUE(e.wait_closed());
    EXPECT_EQ(e.next(), "41");
    EXPECT_EQ(e.next(), "1");
    EXPECT_EQ(e.next(), "<400>");
}

TEST_F(SioServer, BroadcastsReachExactlyTheSocketsStillThereAfterOthersLeave) {
    // Sockets leave from the middle and the end of the namespace's list and
    // new ones join: every broadcast reaches each remaining socket once.
    make();
    std::vector<std::unique_ptr<client>> cs;
    for (int i = 0; i < 5; ++i) {
        cs.push_back(std::make_unique<client>(ioc, *sio));
        cs.back()->connect();
    }
    cs[1]->send("41");
    cs[4]->drop(engineio::close_reason::transport_close);
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_count() == 3; }));
    root().emit("news", args({1}));
    for (int i : {0, 2, 3}) EXPECT_EQ(cs[i]->next(), R"(42["news",1])") << i;
    cs.push_back(std::make_unique<client>(ioc, *sio));
    cs.back()->connect();
    cs[0]->send("41");
    ASSERT_EQ(root().socket_count(), 3u);
    root().emit("news", args({2}));
    for (int i : {2, 3, 5}) {
        EXPECT_EQ(cs[i]->next(), R"(42["news",2])") << i;
        cs[i]->hold();  // nothing more for it
    }
    root().emit("news", args({3}));
    for (int i : {2, 3, 5}) EXPECT_EQ(cs[i]->held_body(), R"(42["news",3])") << i;
    cs[1]->hold();
    cs[0]->hold();
    run_ready(ioc);
    EXPECT_TRUE(cs[0]->pending_open());
    EXPECT_TRUE(cs[1]->pending_open());
}

TEST_F(SioServer, TransportCloseDisconnectsTheSockets) {
    make();
    client c(ioc, *sio);
    c.connect();
    c.drop(engineio::close_reason::ping_timeout);
    ASSERT_TRUE(run_until(ioc, [&] { return disconnects.size() == 1; }));
    EXPECT_EQ(disconnects[0], "ping timeout");
    EXPECT_EQ(root().socket_count(), 0u);
    EXPECT_FALSE(sockets[0]->connected());
    EXPECT_EQ(sio->client_count(), 0u);
}

TEST_F(SioServer, AClientThatNeverConnectsIsClosedAfterTheConnectTimeout) {
    socketio::server_options o;
    o.connect_timeout = std::chrono::milliseconds(200);
    make(o);
    client idle(ioc, *sio);
    EXPECT_TRUE(idle.wait_closed());
    client quick(ioc, *sio);
    quick.connect();
    // Well past its timeout, the connected one is still there.
    client later(ioc, *sio);
    EXPECT_TRUE(later.wait_closed());
    EXPECT_FALSE(quick.closed());
}

TEST_F(SioServer, ReservedNamesAreNeverEmitted) {
    make();
    client c(ioc, *sio);
    c.connect();
    sockets[0]->emit("disconnect", {});
    sockets[0]->emit("fine", {});
    EXPECT_EQ(c.next(), R"(42["fine"])");
}

TEST_F(SioServer, Rooms) {
    make();
    client a(ioc, *sio), b(ioc, *sio), c(ioc, *sio);
    a.connect();
    b.connect();
    c.connect();
    ASSERT_EQ(sockets.size(), 3u);
    sockets[0]->join("r1");
    sockets[1]->join("r1");
    sockets[2]->join("r2");
    sockets[0]->join("r2");
    auto in_r1 = root().socket_ids_in("r1");
    std::sort(in_r1.begin(), in_r1.end());
    std::vector<std::string> want{sockets[0]->id(), sockets[1]->id()};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(in_r1, want);
    EXPECT_EQ(sockets[0]->rooms(), (std::set<std::string>{sockets[0]->id(), "r1", "r2"}));

    // Each test broadcast is followed by a marker to all: a client that
    // should not get the first sees the marker next.
    auto marker = [&] { root().emit("marker", {}); };
    root().to("r1").emit("to-r1", {});
    marker();
    EXPECT_EQ(a.next(), R"(42["to-r1"])");
    EXPECT_EQ(b.next(), R"(42["to-r1"])");
    EXPECT_EQ(c.next(), R"(42["marker"])");
    EXPECT_EQ(a.next(), R"(42["marker"])");
    EXPECT_EQ(b.next(), R"(42["marker"])");

    root().to("r1").to("r2").emit("r1-or-r2", {});  // a is in both: gets it once
    marker();
    for (auto* x : {&a, &b, &c}) {
        EXPECT_EQ(x->next(), R"(42["r1-or-r2"])");
        EXPECT_EQ(x->next(), R"(42["marker"])");
    }

    root().except("r1").emit("not-r1", {});
    marker();
    EXPECT_EQ(a.next(), R"(42["marker"])");
    EXPECT_EQ(b.next(), R"(42["marker"])");
    EXPECT_EQ(c.next(), R"(42["not-r1"])");
    EXPECT_EQ(c.next(), R"(42["marker"])");

    root().to("r2").except("r1").emit("r2-not-r1", {});
    marker();
    EXPECT_EQ(a.next(), R"(42["marker"])");
    EXPECT_EQ(c.next(), R"(42["r2-not-r1"])");
    EXPECT_EQ(c.next(), R"(42["marker"])");
    EXPECT_EQ(b.next(), R"(42["marker"])");

    // A socket's own id is a room.
    root().to(sockets[1]->id()).emit("just-b", {});
    marker();
    EXPECT_EQ(b.next(), R"(42["just-b"])");
    EXPECT_EQ(b.next(), R"(42["marker"])");
    EXPECT_EQ(a.next(), R"(42["marker"])");
    EXPECT_EQ(c.next(), R"(42["marker"])");

    sockets[0]->leave("r1");
    root().to("r1").emit("after-leave", {});
    marker();
    EXPECT_EQ(a.next(), R"(42["marker"])");
    EXPECT_EQ(b.next(), R"(42["after-leave"])");
    EXPECT_EQ(b.next(), R"(42["marker"])");
    EXPECT_EQ(c.next(), R"(42["marker"])");

    // A room nobody is in, and leaving a room one is not in.
    root().to("empty").emit("nobody", {});
    sockets[2]->leave("never-joined");
    marker();
    for (auto* x : {&a, &b, &c}) EXPECT_EQ(x->next(), R"(42["marker"])");

    // Gone clients leave their rooms.
    b.drop();
    ASSERT_TRUE(run_until(ioc, [&] { return root().socket_ids_in("r1").empty(); }));
}
