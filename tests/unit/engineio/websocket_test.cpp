// engineio::server's WebSocket transports (direct, and the upgrade of a
// polling session) over a loopback TCP pair inside the test, with client
// frames masked as a browser would send them; broadcasts to many sessions
// (send_to_each) and the io_uring batch sender.
#include "eio_server_fixtures.hpp"

using namespace solgrid;
using namespace solgrid::test;

namespace {

// The next frame from the server is a close frame carrying `code`.
::testing::AssertionResult next_frame_closes_with(ws_peer& peer, std::uint16_t code) {
    auto f = peer.frame();
    if (!f) return ::testing::AssertionFailure() << "no frame arrived";
    if (f->opcode != 0x8) return ::testing::AssertionFailure() << "opcode " << int(f->opcode) << ", not close";
    if (close_code_of(*f) != code)
        return ::testing::AssertionFailure() << "close code " << close_code_of(*f) << ", not " << code;
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST_F(EioWebSocket, DirectConnectionCarriesTextBinaryAndPings) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    EXPECT_EQ(handler.opened, 1);
    peer.send_text("4hello");
    EXPECT_EQ(peer.text(), "4hello");
    peer.send(client_binary(std::string("\x00\xff", 2)));
    auto bin = peer.frame();
    ASSERT_TRUE(bin);
    EXPECT_EQ(bin->opcode, 2);
    EXPECT_EQ(bin->payload, std::string("\x00\xff", 2));
    peer.send_text("2");  // an Engine.IO ping from the client
    EXPECT_EQ(peer.text(), "3");
    peer.send(client_frame(0x9, "are you there"));  // a WebSocket ping
    auto pong = peer.frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, 0xA);
    EXPECT_EQ(pong->payload, "are you there");
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioWebSocket, TheAnswersToOneMessageLeaveInOneWrite) {
    // A CONNECT's reply and what the connection handler emits, or an ack
    // and an event: whatever the handler sends for one message goes out
    // in one write, so the client gets one TCP segment, not three.
    handler.echo = true;
    handler.extra_replies = 2;
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    auto before = peer.data_segments_in();
    peer.send_text("4question");
    EXPECT_EQ(peer.text(), "4question");
    EXPECT_EQ(peer.text(), "4extra 1");
    EXPECT_EQ(peer.text(), "4extra 2");
    EXPECT_EQ(peer.data_segments_in() - before, 1u);
    // The direct path is back afterwards: a send from outside the strand
    // goes out at once.
    handler.sessions.at(0)->send(engineio::make_packet(engineio::packet_type::message, "later"));
    EXPECT_EQ(peer.text(), "4later");
}

TEST_F(EioWebSocket, MissedPongClosesTheWebSocket) {
    make_server(short_heartbeat());
    ws_peer peer(ioc);
    open_direct(peer);
    EXPECT_EQ(peer.text(), "2");
    // No pong. The server closes the connection with a close frame.
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    ASSERT_TRUE(peer.wait_eof());
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioWebSocket, PongsKeepTheWebSocketOpen) {
    make_server(heartbeat(300ms, 10s));
    ws_peer peer(ioc);
    open_direct(peer);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(peer.text(), "2");
        peer.send_text("3");
    }
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioWebSocket, AnUnknownPacketTypeClosesWith1002) {
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    peer.send_text("9nonsense");
    ASSERT_TRUE(next_frame_closes_with(peer, 1002));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::parse_error);
}

TEST_F(EioWebSocket, AnUnmaskedFrameClosesWith1002) {
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    frame_options unmasked;
    unmasked.masked = false;
    peer.send(client_frame(0x1, "4hello", unmasked));
    ASSERT_TRUE(next_frame_closes_with(peer, 1002));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::parse_error);
    EXPECT_TRUE(handler.messages.empty());
}

TEST_F(EioWebSocket, AMessageOverMaxPayloadClosesWith1009) {
    auto cfg = no_heartbeat_soon();
    cfg.max_payload = 1000;
    make_server(cfg);
    ws_peer peer(ioc);
    open_direct(peer);
    peer.send_text("4" + std::string(1000, 'x'));
    ASSERT_TRUE(next_frame_closes_with(peer, 1009));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
}

TEST_F(EioWebSocket, TheClientsCloseFrameIsAnsweredAndEndsTheSession) {
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    peer.send(client_frame(0x8, close_body(1001, "tab closed")));
    ASSERT_TRUE(next_frame_closes_with(peer, 1001));
    ASSERT_TRUE(peer.wait_eof());
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::transport_close);
}

TEST_F(EioWebSocket, AnOriginOffTheAllowListIsRefused) {
    make_server(no_heartbeat_soon(), {"http://localhost:5173"});
    ws_peer peer(ioc);
    auto req = upgrade_request("/engine.io/?EIO=4&transport=websocket");
    req.set(http::field::origin, "http://evil.example:8080");
    upgrade(peer, std::move(req));
    auto head = peer.http_head();
    EXPECT_NE(head.find("403"), std::string::npos) << head;
    EXPECT_EQ(handler.opened, 0);
}

TEST_F(EioWebSocket, BadUpgradeRequestsGetEngineIoErrors) {
    make_server(no_heartbeat_soon());
    struct tc {
        const char* target;
        const char* key;
        const char* version;
        const char* code;
    } cases[] = {
        {"/engine.io/?EIO=5&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==", "13", "\"code\":5"},  // EIO=3: server_v3_test.cpp
        {"/engine.io/?EIO=4&transport=polling", "dGhlIHNhbXBsZSBub25jZQ==", "13", "\"code\":3"},
        {"/engine.io/?EIO=4&transport=websocket&sid=unknown", "dGhlIHNhbXBsZSBub25jZQ==", "13", "\"code\":1"},
        {"/engine.io/?EIO=4&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==", "8", "\"code\":3"},
    };
    for (auto& c : cases) {
        ws_peer peer(ioc);
        auto req = upgrade_request(c.target);
        req.set(http::field::sec_websocket_key, c.key);
        req.set(http::field::sec_websocket_version, c.version);
        upgrade(peer, std::move(req));
        auto head = peer.http_head();
        EXPECT_NE(head.find("400"), std::string::npos) << c.target << "\n" << head;
        EXPECT_NE(peer.rest().find(c.code), std::string::npos) << c.target;
    }
    EXPECT_EQ(handler.opened, 0);
}

TEST_F(EioWebSocket, AnUpgradeForASessionThatClosedMeanwhileIsSessionIdUnknown) {
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    ws_peer peer(ioc);
    upgrade(peer, upgrade_request("/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    server->close_all(close_reason::server_close);  // ahead of the upgrade's check on the strand
    auto head = peer.http_head();
    EXPECT_NE(head.find("400"), std::string::npos) << head;
    EXPECT_EQ(peer.rest(), R"({"code":1,"message":"Session ID unknown"})");
}

TEST_F(EioWebSocket, UpgradeOfAPollingSession) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    auto held = start_get(polling(sid));
    run_ready(ioc);
    ws_peer peer(ioc);
    ASSERT_NO_FATAL_FAILURE(start_probe(peer, sid));
    // The held GET is released with a noop so the client can pause polling.
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->res.body(), "6");
    peer.send_text("5");
    peer.send_text("4over websocket");
    EXPECT_EQ(peer.text(), "4over websocket");
    // Polling is over for this sid: a bad request, not an unknown sid.
    auto late = request(http::verb::get, polling(sid));
    EXPECT_EQ(late.result(), http::status::bad_request);
    EXPECT_EQ(error_body(late).at("code").to_number<int>(), 3);
    auto late_post = request(http::verb::post, polling(sid), "4x");
    EXPECT_EQ(error_body(late_post).at("code").to_number<int>(), 3);
    EXPECT_EQ(handler.opened, 1);
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioWebSocket, PacketsQueuedDuringTheUpgradeArriveOverTheWebSocket) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    ws_peer peer(ioc);
    ASSERT_NO_FATAL_FAILURE(start_probe(peer, sid));
    // Between 3probe and 5 the client may still POST; the answer waits.
    EXPECT_EQ(request(http::verb::post, polling(sid), "4queued").body(), "ok");
    EXPECT_EQ(request(http::verb::get, polling(sid)).body(), "6");
    peer.send_text("5");
    EXPECT_EQ(peer.text(), "4queued");
}

TEST_F(EioWebSocket, ASecondWebSocketForAnUpgradedSessionIsRefused) {
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    ws_peer first(ioc);
    ASSERT_NO_FATAL_FAILURE(start_probe(first, sid));
    first.send_text("5");
    run_ready(ioc);
    ws_peer second(ioc);
    upgrade(second, upgrade_request("/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    EXPECT_NE(second.http_head().find("101"), std::string::npos);
    auto f = second.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_TRUE(second.wait_eof());
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioWebSocket, AFailedProbeLeavesTheSessionPollingAndUpgradable) {
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    // The probe dies before "5" (a proxy, a network switch, a closed tab).
    fail_a_probe(sid);
    EXPECT_TRUE(handler.closes.empty());
    // Polling goes on: a GET is held (not answered at once with a noop) ...
    auto held = start_get(polling(sid));
    run_ready(ioc);
    EXPECT_FALSE(held->done) << held->res.body();
    server->close_all(close_reason::server_close);
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->res.body(), "1");
}

TEST_F(EioWebSocket, AnUpgradeCanBeRetriedAfterAFailedProbe) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    fail_a_probe(sid);
    ws_peer retry(ioc);
    ASSERT_NO_FATAL_FAILURE(start_probe(retry, sid));
    retry.send_text("5");
    retry.send_text("4after retry");
    EXPECT_EQ(retry.text(), "4after retry");
}

TEST_F(EioWebSocket, AnythingButAProbeDropsTheProbeAndPollingContinues) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    ws_peer probe(ioc);
    upgrade(probe, upgrade_request("/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    ASSERT_NE(probe.http_head().find("101"), std::string::npos);
    probe.send_text("4not a probe");
    auto f = probe.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_TRUE(handler.messages.empty());
    EXPECT_EQ(request(http::verb::post, polling(sid), "4still polling").body(), "ok");
    EXPECT_EQ(request(http::verb::get, polling(sid)).body(), "4still polling");
}

TEST_F(EioWebSocket, AClientThatStopsReadingIsClosedAtTheQueueBound) {
    make_server(no_heartbeat_soon(16));
    ws_peer peer(ioc);
    open_direct(peer);
    ASSERT_EQ(handler.sessions.size(), 1u);
    auto s = handler.sessions[0];
    peer.stop_reading();
    // Far more than the kernel's socket buffers hold: once they are full,
    // frames wait in the session's queue, and the bound ends it.
    auto big = engineio::make_packet(engineio::packet_type::message, std::string(64 * 1024, 'x'));
    for (int i = 0; i < 20000 && handler.closes.empty(); ++i) {
        s->send(big);
        run_ready(ioc);
    }
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); })) << "never closed";
    EXPECT_EQ(handler.closes[0], close_reason::slow_client);
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioWebSocket, SendToEachReachesEveryWebSocketInOrder) {
    // More clients than one io_uring batch holds, several packets each.
    make_server(no_heartbeat_soon());
    const std::size_t n = net::batch_sender::max_batch + 7;
    std::vector<std::unique_ptr<ws_peer>> peers;
    for (std::size_t i = 0; i < n; ++i) {
        peers.push_back(std::make_unique<ws_peer>(ioc));
        open_direct(*peers.back());
    }
    ASSERT_EQ(handler.sessions.size(), n);
    run_ready(ioc);  // every WebSocket idle: the direct path is open
    std::vector<engineio::session*> targets;
    for (auto& s : handler.sessions) targets.push_back(s.get());
    for (int k = 0; k < 5; ++k) {
        auto p = engineio::make_packet(engineio::packet_type::message, "news " + std::to_string(k));
        engineio::session::send_to_each(targets, p, engineio::ws_frame_of(*p), true);
    }
    for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < 5; ++k) EXPECT_EQ(peers[i]->text(), "4news " + std::to_string(k)) << "client " << i;
}

TEST_F(EioWebSocket, SendToEachHandsWhatTheKernelRefusesToTheStrand) {
    // A client that stops reading: its socket buffer fills, a batched write
    // is cut short, the rest (and all after it) queues on the session's
    // strand. Once it reads again, every frame arrives whole and in order;
    // the client beside it never waited.
    make_server(no_heartbeat_soon(1 << 20));
    ws_peer slow(ioc), quick(ioc);
    open_direct(slow);
    open_direct(quick);
    run_ready(ioc);
    std::vector<engineio::session*> targets{handler.sessions[0].get(), handler.sessions[1].get()};
    slow.stop_reading();
    const int frames = 200;
    for (int k = 0; k < frames; ++k) {
        auto p = engineio::make_packet(engineio::packet_type::message,
                                       std::to_string(k) + ":" + std::string(64 * 1024, static_cast<char>('a' + k % 26)));
        engineio::session::send_to_each(targets, p, engineio::ws_frame_of(*p), true);
        EXPECT_EQ(quick.text().substr(0, 1 + std::to_string(k).size() + 1), "4" + std::to_string(k) + ":");
    }
    slow.resume_reading();
    for (int k = 0; k < frames; ++k) {
        auto t = slow.text();
        auto expect = "4" + std::to_string(k) + ":" + std::string(64 * 1024, static_cast<char>('a' + k % 26));
        ASSERT_EQ(t.size(), expect.size()) << "frame " << k;
        ASSERT_TRUE(t == expect) << "frame " << k;
    }
    EXPECT_TRUE(handler.closes.empty());
}

TEST(BatchSender, WritesToEachSocketAndReportsWhatEachTook) {
    auto* sender = net::batch_sender::for_this_thread();
    if (!sender)
        GTEST_SKIP() << "io_uring is not available on this machine (" << net::batch_sender::why_unavailable()
                     << "): the batched broadcast writes are untested here; the server falls back to one send() per client";
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::vector<tcp::socket> clients, servers;
    for (int i = 0; i < 3; ++i) {
        clients.emplace_back(ioc);
        clients.back().connect(acceptor.local_endpoint());
        servers.push_back(acceptor.accept());
    }
    // A descriptor that is no socket fails alone; the others are written.
    std::array<int, 3> fds{clients[0].native_handle(), -1, clients[2].native_handle()};
    std::array<ssize_t, 3> results{};
    sender->run(fds, "hello", results);
    EXPECT_EQ(results[0], 5);
    EXPECT_EQ(results[1], -EBADF);
    EXPECT_EQ(results[2], 5);
    char buf[16];
    EXPECT_EQ(servers[0].read_some(asio::buffer(buf)), 5u);
    EXPECT_EQ(std::string_view(buf, 5), "hello");
    EXPECT_EQ(servers[2].read_some(asio::buffer(buf)), 5u);
}

TEST_F(EioWebSocket, SendsFromManyThreadsArriveWholeAndInOrder) {
    make_server(no_heartbeat_soon(1 << 20));
    ws_peer peer(ioc);
    open_direct(peer);
    auto s = handler.sessions.at(0);
    constexpr int threads = 3, per_thread = 3000;
    std::vector<std::thread> senders;
    for (int t = 0; t < threads; ++t)
        senders.emplace_back([s, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Sizes across the 7-bit, 16-bit and 64-bit length forms.
                std::size_t pad = (i % 7 == 0) ? 70000 : (i % 3 == 0) ? 300 : 0;
                s->send(engineio::make_packet(engineio::packet_type::message,
                                              std::to_string(t) + ":" + std::to_string(i) + ":" +
                                                  std::string(pad, '.')));
            }
        });
    std::vector<int> next(threads, 0);
    int received = 0;
    bool ok = true;
    std::string problem;
    while (received < threads * per_thread && ok) {
        auto f = peer.frame();
        if (!f) {
            problem = "connection ended";
            break;
        }
        if (f->opcode != 1 || f->payload.empty() || f->payload[0] != '4') {
            ok = false;
            problem = "bad frame, opcode " + std::to_string(f->opcode);
            break;
        }
        auto colon = f->payload.find(':');
        auto colon2 = f->payload.find(':', colon + 1);
        int t = std::stoi(f->payload.substr(1, colon - 1));
        int i = std::stoi(f->payload.substr(colon + 1, colon2 - colon - 1));
        if (t < 0 || t >= threads || i != next[t]) {
            ok = false;
            problem = "out of order: " + f->payload.substr(0, 40);
            break;
        }
        std::size_t want_pad = (i % 7 == 0) ? 70000 : (i % 3 == 0) ? 300 : 0;
        if (f->payload.size() - colon2 - 1 != want_pad) {
            ok = false;
            problem = "wrong length";
            break;
        }
        ++next[t];
        ++received;
    }
    for (auto& th : senders) th.join();
    EXPECT_TRUE(ok) << problem;
    EXPECT_EQ(received, threads * per_thread) << problem;
    EXPECT_TRUE(handler.closes.empty());
}
