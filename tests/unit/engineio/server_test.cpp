// engineio::server: handshakes, polling requests and every error answer,
// driven in memory through handle_http(). WebSocket transports:
// websocket_test.cpp.
#include "eio_server_fixtures.hpp"

using namespace solgrid;
using namespace solgrid::test;

TEST_F(EioServer, HandshakeAnswersTheOpenPacket) {
    auto cfg = short_heartbeat();
    cfg.max_payload = 12345;
    make_server(cfg);
    auto res = request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
    ASSERT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "text/plain; charset=UTF-8");
    ASSERT_EQ(res.body()[0], '0');
    auto open = boost::json::parse(res.body().substr(1)).as_object();
    EXPECT_EQ(open.at("sid").as_string().size(), 20u);
    EXPECT_EQ(open.at("upgrades"), boost::json::array{"websocket"});
    EXPECT_EQ(open.at("pingInterval").to_number<int>(), 300);
    EXPECT_EQ(open.at("pingTimeout").to_number<int>(), 200);
    EXPECT_EQ(open.at("maxPayload").to_number<int>(), 12345);
    run_ready(ioc);
    EXPECT_EQ(handler.opened, 1);
    EXPECT_EQ(server->session_count(), 1u);
}

TEST_F(EioServer, SidsAreUniqueAndUrlSafe) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        auto id = engineio::random_id();
        EXPECT_EQ(id.size(), 20u);
        EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST_F(EioServer, ErrorsUseTheProtocolsCodes) {
    auto cfg = no_heartbeat_soon();
    cfg.allow_eio3 = false;  // EIO=3 is error 5 only with ALLOW_EIO3 off (server_v3_test.cpp)
    make_server(cfg);
    struct tc {
        http::verb method;
        const char* target;
        int code;
        http::status status;
    } cases[] = {
        {http::verb::get, "/engine.io/?EIO=4&transport=carrier-pigeon", 0, http::status::bad_request},
        {http::verb::get, "/engine.io/?EIO=4", 0, http::status::bad_request},
        {http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=nope", 1, http::status::bad_request},
        {http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=nope", 1, http::status::bad_request},
        {http::verb::post, "/engine.io/?EIO=4&transport=polling", 2, http::status::bad_request},
        {http::verb::put, "/engine.io/?EIO=4&transport=polling", 2, http::status::bad_request},
        {http::verb::get, "/engine.io/?transport=polling", 3, http::status::bad_request},
        {http::verb::get, "/engine.io/?EIO=4&transport=websocket", 3, http::status::bad_request},  // not an upgrade
        {http::verb::get, "/engine.io/?EIO=3&transport=polling", 5, http::status::bad_request},
        {http::verb::get, "/engine.io/?EIO=5&transport=polling", 5, http::status::bad_request},
        {http::verb::get, "/engine.io/?EIO=&transport=polling", 5, http::status::bad_request},
    };
    for (auto& c : cases) {
        auto res = request(c.method, c.target);
        EXPECT_EQ(res.result(), c.status) << c.target;
        EXPECT_EQ(res[http::field::content_type], "application/json") << c.target;
        auto body = error_body(res);
        EXPECT_EQ(body.at("code").to_number<int>(), c.code) << c.target;
        EXPECT_EQ(body.at("message").as_string(), engineio::make_error_code(static_cast<engineio::error>(c.code)).message())
            << c.target;
    }
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioServer, MessagesTravelBothWaysOverPolling) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    auto res = request(http::verb::post, polling(sid), "4hello\x1e" "bAQIDBA==");
    ASSERT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "ok");
    ASSERT_EQ(handler.messages.size(), 2u);
    auto get = request(http::verb::get, polling(sid));
    ASSERT_EQ(get.result(), http::status::ok);
    EXPECT_EQ(get.body(), "4hello\x1e" "bAQIDBA==");
    EXPECT_EQ(get[http::field::cache_control], "no-store");
}

TEST_F(EioServer, AMalformedPostIs400AndClosesTheSession) {
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    auto res = request(http::verb::post, polling(sid), "not a payload");
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_EQ(error_body(res).at("code").to_number<int>(), 3);
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::parse_error);
    auto after = request(http::verb::get, polling(sid));
    EXPECT_EQ(error_body(after).at("code").to_number<int>(), 1);
}

TEST_F(EioServer, APostOverMaxPayloadIs413AndClosesTheSession) {
    auto cfg = no_heartbeat_soon();
    cfg.max_payload = 100;
    make_server(cfg);
    auto sid = handshake();
    auto ok = request(http::verb::post, polling(sid), "4" + std::string(99, 'x'));
    EXPECT_EQ(ok.result(), http::status::ok);
    auto res = request(http::verb::post, polling(sid), "4" + std::string(100, 'x'));
    EXPECT_EQ(res.result(), http::status::payload_too_large);
    EXPECT_EQ(error_body(res).at("code").to_number<int>(), 3);
    EXPECT_EQ(error_body(res).at("message").as_string(), "Payload too large");
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(server->session_count(), 0u);
}

TEST(EioError, OneMappingToTheProtocolsAnswers) {
    using engineio::error;
    struct tc {
        error e;
        unsigned status;
        int code;
        const char* message;
    } cases[] = {
        {error::unknown_transport, 400, 0, "Transport unknown"},
        {error::unknown_sid, 400, 1, "Session ID unknown"},
        {error::bad_handshake_method, 400, 2, "Bad handshake method"},
        {error::bad_request, 400, 3, "Bad request"},
        {error::forbidden, 403, 4, "Forbidden"},
        {error::unsupported_protocol_version, 400, 5, "Unsupported protocol version"},
        {error::payload_too_large, 413, 3, "Payload too large"},
    };
    for (auto& c : cases) {
        auto a = engineio::to_http(c.e);
        EXPECT_EQ(a.status, c.status) << c.message;
        EXPECT_EQ(a.code, c.code) << c.message;
        EXPECT_EQ(a.message, c.message);
        boost::system::error_code ec = c.e;  // an error_code of its own category
        EXPECT_EQ(ec.category().name(), std::string("engine.io"));
        EXPECT_EQ(ec.message(), c.message);
        EXPECT_TRUE(ec == c.e);
    }
}

TEST_F(EioServer, AGetOrPostForASessionThatClosedMeanwhileIsSessionIdUnknown) {
    // The request finds the sid, then the session closes before the request
    // reaches its strand (a ping timeout, the upper layer): once answered
    // "Bad request" (code 3); the sid is gone, so code 1.
    make_server(no_heartbeat_soon());
    for (auto method : {http::verb::get, http::verb::post}) {
        auto sid = handshake();
        auto res = start(method, polling(sid), method == http::verb::post ? "4late" : "");
        server->close_all(close_reason::server_close);  // queued on the strand ahead of the request
        ASSERT_TRUE(run_until(ioc, [&] { return res->done; }));
        EXPECT_EQ(res->res.result(), http::status::bad_request) << method;
        EXPECT_EQ(error_body(res->res).at("code").to_number<int>(), 1) << method;
        EXPECT_EQ(error_body(res->res).at("message").as_string(), "Session ID unknown") << method;
    }
    EXPECT_TRUE(handler.messages.empty());
}

TEST_F(EioServer, APostToASidTheClientClosedIsSessionIdUnknown) {
    // The client's own close packet: the sid lingers a moment for the GET in
    // flight, but takes no more packets.
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    EXPECT_EQ(request(http::verb::post, polling(sid), "1").body(), "ok");
    auto res = request(http::verb::post, polling(sid), "4too late");
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_EQ(error_body(res).at("code").to_number<int>(), 1);
    EXPECT_TRUE(handler.messages.empty());
}

TEST_F(EioServer, OverlappingGetsAre400AndTheHeldOneGetsAClose) {
    make_server(no_heartbeat_soon());
    auto sid = handshake();
    auto held = start_get(polling(sid));
    run_ready(ioc);
    ASSERT_FALSE(held->done);
    auto second = request(http::verb::get, polling(sid));
    EXPECT_EQ(second.result(), http::status::bad_request);
    EXPECT_EQ(error_body(second).at("code").to_number<int>(), 3);
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->res.result(), http::status::ok);
    EXPECT_EQ(held->res.body(), "1");
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioServer, HeartbeatOverHttp) {
    make_server(short_heartbeat());
    auto sid = handshake();
    EXPECT_EQ(request(http::verb::get, polling(sid)).body(), "2");
    // No pong: the session is closed and forgotten.
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
    EXPECT_EQ(server->session_count(), 0u);
    EXPECT_EQ(error_body(request(http::verb::get, polling(sid))).at("code").to_number<int>(), 1);
}

TEST_F(EioServer, CorsEchoesTheOriginWithCredentials) {
    make_server(no_heartbeat_soon(), {"*"});
    auto res = request(http::verb::get, "/engine.io/?EIO=4&transport=polling", {},
                       {{http::field::origin, "http://localhost:5173"}});
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::access_control_allow_origin], "http://localhost:5173");
    EXPECT_EQ(res[http::field::access_control_allow_credentials], "true");
    auto pre = request(http::verb::options, "/engine.io/?EIO=4&transport=polling", {},
                       {{http::field::origin, "http://localhost:5173"},
                        {http::field::access_control_request_method, "POST"}});
    EXPECT_EQ(pre.result(), http::status::no_content);
    EXPECT_EQ(pre[http::field::access_control_allow_origin], "http://localhost:5173");
    EXPECT_EQ(pre[http::field::access_control_allow_credentials], "true");
    EXPECT_NE(pre[http::field::access_control_allow_methods].find("POST"), std::string_view::npos);
}

TEST_F(EioServer, AnOriginOffTheAllowListIsForbidden) {
    make_server(no_heartbeat_soon(), {"http://localhost:5173"});
    auto bad = request(http::verb::get, "/engine.io/?EIO=4&transport=polling", {},
                       {{http::field::origin, "http://evil.example:8080"}});
    EXPECT_EQ(bad.result(), http::status::forbidden);
    EXPECT_EQ(error_body(bad).at("code").to_number<int>(), 4);
    EXPECT_EQ(bad.count(http::field::access_control_allow_origin), 0u);
    auto pre = request(http::verb::options, "/engine.io/?EIO=4&transport=polling", {},
                       {{http::field::origin, "http://evil.example:8080"}});
    EXPECT_EQ(pre.result(), http::status::forbidden);
    EXPECT_EQ(server->session_count(), 0u);
    auto good = request(http::verb::get, "/engine.io/?EIO=4&transport=polling", {},
                        {{http::field::origin, "http://localhost:5173"}});
    EXPECT_EQ(good.result(), http::status::ok);
    EXPECT_EQ(good[http::field::access_control_allow_origin], "http://localhost:5173");
}

TEST_F(EioServer, CloseAllClosesEverySession) {
    make_server(no_heartbeat_soon());
    handshake();
    handshake();
    auto sid = handshake();
    auto held = start_get(polling(sid));
    run_ready(ioc);
    server->close_all(close_reason::server_shutdown);
    ASSERT_TRUE(run_until(ioc, [&] { return held->done && handler.closes.size() == 3; }));
    EXPECT_EQ(held->res.body(), "1");
    EXPECT_EQ(server->session_count(), 0u);
    for (auto r : handler.closes) EXPECT_EQ(r, close_reason::server_shutdown);
}

// ---------------------------------------------------------------- WebSocket
