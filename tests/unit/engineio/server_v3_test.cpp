// engineio::server with Engine.IO v3 clients (EIO=3: socket.io-client 2.x,
// arduinoWebSockets): the framed open packet without maxPayload, length-
// prefixed polling payloads (text, b64 and the XHR2 binary framing), the
// client-driven heartbeat, binary WebSocket frames with their type byte, and
// ALLOW_EIO3 off.
#include "eio_server_fixtures.hpp"

using namespace solgrid;
using namespace solgrid::test;

namespace {

const std::string v3_handshake_target = "/engine.io/?EIO=3&transport=polling";

std::string v3_polling(const std::string& sid, bool b64 = true) {
    return "/engine.io/?EIO=3&transport=polling" + std::string(b64 ? "&b64=1" : "") + "&sid=" + sid;
}

}  // namespace

class EioServerV3 : public EioWebSocket {
protected:
    // A v3 polling handshake (b64 unless told); returns the sid.
    std::string handshake_v3(bool b64 = true) {
        auto res = request(http::verb::get, v3_handshake_target + (b64 ? "&b64=1" : ""));
        EXPECT_EQ(res.result(), http::status::ok);
        auto colon = res.body().find(':');
        EXPECT_NE(colon, std::string::npos) << res.body();
        EXPECT_EQ(std::stoul(res.body().substr(0, colon)), res.body().size() - colon - 1);
        EXPECT_EQ(res.body()[colon + 1], '0');
        auto open = boost::json::parse(res.body().substr(colon + 2)).as_object();
        run_ready(ioc);
        return std::string(open.at("sid").as_string());
    }
};

TEST_F(EioServerV3, HandshakeIsLengthPrefixedWithoutMaxPayload) {
    make_server(short_heartbeat());
    auto res = request(http::verb::get, v3_handshake_target + "&b64=1");
    ASSERT_EQ(res.result(), http::status::ok);
    auto& body = res.body();
    auto colon = body.find(':');
    ASSERT_NE(colon, std::string::npos);
    EXPECT_EQ(std::stoul(body.substr(0, colon)), body.size() - colon - 1);
    auto open = boost::json::parse(body.substr(colon + 2)).as_object();
    EXPECT_EQ(open.at("sid").as_string().size(), 20u);
    EXPECT_EQ(open.at("upgrades"), boost::json::array{"websocket"});
    EXPECT_EQ(open.at("pingInterval").to_number<int>(), 300);
    EXPECT_EQ(open.at("pingTimeout").to_number<int>(), 200);
    EXPECT_FALSE(open.contains("maxPayload"));
    run_ready(ioc);
    EXPECT_EQ(handler.opened, 1);
    ASSERT_EQ(handler.sessions.size(), 1u);
    EXPECT_EQ(handler.sessions[0]->handshake().protocol, 3);
    EXPECT_TRUE(handler.sessions[0]->handshake().b64);
}

TEST_F(EioServerV3, MessagesTravelBothWaysInTheV3Framing) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake_v3();
    auto res = request(http::verb::post, v3_polling(sid), "6:4héllo10:b4AQIDBA==");
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(handler.messages.size(), 2u);
    EXPECT_EQ(handler.messages[0].data, "héllo");
    EXPECT_TRUE(handler.messages[1].binary);
    auto get = request(http::verb::get, v3_polling(sid));
    EXPECT_EQ(get[http::field::content_type], "text/plain; charset=UTF-8");
    EXPECT_EQ(get.body(), "6:4héllo10:b4AQIDBA==");
}

TEST_F(EioServerV3, WithoutB64BinaryGoesOutInTheXhr2Framing) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    auto sid = handshake_v3(false);
    std::string body = std::string("\x01\x03\xff\x04\x01\x02", 6);  // binary message 01 02
    auto res = request(http::verb::post, v3_polling(sid, false), body,
                       {{http::field::content_type, "application/octet-stream"}});
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    ASSERT_EQ(handler.messages.size(), 1u);
    EXPECT_EQ(handler.messages[0].data, std::string("\x01\x02", 2));
    auto get = request(http::verb::get, v3_polling(sid, false));
    EXPECT_EQ(get[http::field::content_type], "application/octet-stream");
    EXPECT_EQ(get.body(), body);
}

TEST_F(EioServerV3, AMalformedV3PayloadIs400AndClosesTheSession) {
    make_server(no_heartbeat_soon());
    auto sid = handshake_v3();
    // A v4 payload is not a v3 one.
    auto res = request(http::verb::post, v3_polling(sid), "4hello\x1e" "4x");
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_EQ(error_body(res).at("code").to_number<int>(), 3);
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::parse_error);
}

TEST_F(EioServerV3, TheClientPingsAndTheServerNeverDoes) {
    make_server(heartbeat(400ms, 400ms));
    auto sid = handshake_v3();
    // Pings from the client keep it alive and are answered; no ping of ours
    // is ever queued (a held GET would return "1:2").
    for (int i = 0; i < 8; ++i) {
        auto held = start_get(v3_polling(sid));
        run_until(ioc, [] { return false; }, 150ms);  // the client's idle time between pings
        ASSERT_EQ(request(http::verb::post, v3_polling(sid), "1:2").result(), http::status::ok);
        ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
        EXPECT_EQ(held->res.body(), "1:3");
    }
    EXPECT_TRUE(handler.closes.empty());  // 1.2 s > ping_interval + ping_timeout
    // Silence for longer than ping_interval + ping_timeout: closed.
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioServerV3, AllowEio3OffAnswersUnsupportedProtocolVersion) {
    auto cfg = no_heartbeat_soon();
    cfg.allow_eio3 = false;
    make_server(cfg);
    auto res = request(http::verb::get, v3_handshake_target);
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_EQ(error_body(res).at("code").to_number<int>(), 5);
    EXPECT_EQ(error_body(res).at("message").as_string(), "Unsupported protocol version");
    EXPECT_EQ(server->session_count(), 0u);
}

TEST_F(EioServerV3, WebSocketBinaryCarriesItsTypeByteAndBase64TextWorks) {
    handler.echo = true;
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    upgrade(peer, upgrade_request("/engine.io/?EIO=3&transport=websocket"));
    ASSERT_NE(peer.http_head().find("101"), std::string::npos);
    auto open = peer.text();
    ASSERT_EQ(open.substr(0, 1), "0");
    EXPECT_FALSE(boost::json::parse(open.substr(1)).as_object().contains("maxPayload"));
    peer.send(client_binary(std::string("\x04\x00\xff", 3)));
    auto bin = peer.frame();
    ASSERT_TRUE(bin);
    EXPECT_EQ(bin->opcode, 2);
    EXPECT_EQ(bin->payload, std::string("\x04\x00\xff", 3));
    ASSERT_EQ(handler.messages.size(), 1u);
    EXPECT_EQ(handler.messages[0].data, std::string("\x00\xff", 2));
    peer.send_text("b4AQIDBA==");
    auto b64 = peer.frame();
    ASSERT_TRUE(b64);
    EXPECT_EQ(b64->payload, std::string("\x04\x01\x02\x03\x04", 5));
    peer.send_text("2");
    EXPECT_EQ(peer.text(), "3");
    // A binary frame without the message type byte is a protocol error.
    peer.send(client_binary(std::string("\x01\x02", 2)));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::parse_error);
}

TEST_F(EioServerV3, UpgradesFromPollingWithProbe) {
    make_server(no_heartbeat_soon());
    auto sid = handshake_v3();
    auto held = start_get(v3_polling(sid));
    run_ready(ioc);
    ws_peer peer(ioc);
    upgrade(peer, upgrade_request("/engine.io/?EIO=3&transport=websocket&sid=" + sid));
    ASSERT_NE(peer.http_head().find("101"), std::string::npos);
    peer.send_text("2probe");
    EXPECT_EQ(peer.text(), "3probe");
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->res.body(), "1:6");  // the held GET flushed with a framed noop
    peer.send_text("5");
    run_ready(ioc);
    ASSERT_EQ(handler.sessions.size(), 1u);
    handler.sessions[0]->send(engineio::make_packet(engineio::packet_type::message, "hi"));
    EXPECT_EQ(peer.text(), "4hi");
}

TEST_F(EioServerV3, BinaryBroadcastFramesAreNotSharedWithV3Sessions) {
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    upgrade(peer, upgrade_request("/engine.io/?EIO=3&transport=websocket"));
    ASSERT_NE(peer.http_head().find("101"), std::string::npos);
    ASSERT_EQ(peer.text().substr(0, 1), "0");
    ASSERT_EQ(handler.sessions.size(), 1u);
    auto* s = handler.sessions[0].get();
    // A broadcast hands every recipient v4's frame; a v3 session frames its own.
    auto bin = engineio::make_binary(std::string("\x01\x02", 2));
    engineio::session::send_to_each({&s, 1}, bin, engineio::ws_frame_of(*bin), true);
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, std::string("\x04\x01\x02", 3));
    // Text is shared as it is.
    auto text = engineio::make_packet(engineio::packet_type::message, "2[\"x\"]");
    engineio::session::send_to_each({&s, 1}, text, engineio::ws_frame_of(*text), true);
    EXPECT_EQ(peer.text(), "42[\"x\"]");
    // The direct path of send() too.
    s->send(bin);
    auto g = peer.frame();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->payload, std::string("\x04\x01\x02", 3));
}

TEST_F(EioServerV3, AllowEio3OffRefusesTheWebSocketToo) {
    auto cfg = no_heartbeat_soon();
    cfg.allow_eio3 = false;
    make_server(cfg);
    ws_peer peer(ioc);
    upgrade(peer, upgrade_request("/engine.io/?EIO=3&transport=websocket"));
    EXPECT_NE(peer.http_head().find("400"), std::string::npos);
    EXPECT_NE(peer.rest().find("\"code\":5"), std::string::npos);
    EXPECT_EQ(handler.opened, 0);
}
