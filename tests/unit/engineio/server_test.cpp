// engineio::server: handshakes, polling requests and every error answer,
// driven in memory through handle_http(); WebSocket transports (direct and
// the upgrade of a polling session) over a loopback TCP pair inside the
// test, with client frames masked as a browser would send them.
#include "eio_test_support.hpp"
#include "../net/ws_test_frames.hpp"

#include "net/batch_sender.hpp"
#include "net/ws_codec.hpp"

#include "../net/tcp_segments.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::test;
using engineio::close_reason;
namespace http = net::http;
using tcp = asio::ip::tcp;

namespace {

struct http_result {
    bool done = false;
    net::response res;
};

class EioServer : public ::testing::Test {
protected:
    void make_server(engineio::settings cfg, std::vector<std::string> origins = {"*"}) {
        server = std::make_unique<engineio::server>(ioc, "/engine.io/", cfg, net::cors_policy(std::move(origins)),
                                                    handler);
    }

    net::response request(http::verb method, std::string target, std::string body = {},
                          std::vector<std::pair<http::field, std::string>> headers = {}) {
        auto req = std::make_shared<net::request>(method, target, 11);
        for (auto& [f, v] : headers) req->set(f, v);
        req->body() = std::move(body);
        req->prepare_payload();
        auto out = std::make_shared<http_result>();
        auto info = std::make_shared<net::request_info>();
        info->remote = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 40000);
        asio::co_spawn(ioc, server->handle_http(*req, *info),
                       [out, req, info](std::exception_ptr e, net::response r) {
                           if (e) std::rethrow_exception(e);
                           out->res = std::move(r);
                           out->done = true;
                       });
        EXPECT_TRUE(run_until(ioc, [&] { return out->done; })) << "no answer to " << target;
        return out->res;
    }

    // Starts a GET that may be held; the result fills in later.
    std::shared_ptr<http_result> start_get(std::string target) { return start(http::verb::get, std::move(target)); }

    // Starts a request; nothing runs until the test runs ioc.
    std::shared_ptr<http_result> start(http::verb method, std::string target, std::string body = {}) {
        auto req = std::make_shared<net::request>(method, target, 11);
        req->body() = std::move(body);
        req->prepare_payload();
        auto out = std::make_shared<http_result>();
        auto info = std::make_shared<net::request_info>();
        asio::co_spawn(ioc, server->handle_http(*req, *info),
                       [out, req, info](std::exception_ptr e, net::response r) {
                           if (e) std::rethrow_exception(e);
                           out->res = std::move(r);
                           out->done = true;
                       });
        return out;
    }

    // A polling handshake; returns the sid.
    std::string handshake() {
        auto res = request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
        EXPECT_EQ(res.result(), http::status::ok);
        EXPECT_EQ(res.body().substr(0, 1), "0");
        auto open = boost::json::parse(res.body().substr(1)).as_object();
        run_ready(ioc);  // on_open and the heartbeat start on the session's strand
        return std::string(open.at("sid").as_string());
    }

    std::string polling(const std::string& sid) { return "/engine.io/?EIO=4&transport=polling&sid=" + sid; }

    static boost::json::object error_body(const net::response& res) {
        return boost::json::parse(res.body()).as_object();
    }

    asio::io_context ioc;
    recording_handler handler;
    std::unique_ptr<engineio::server> server;
};

}  // namespace

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
    make_server(no_heartbeat_soon());
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

namespace {

// The client end of a loopback TCP pair; reads continuously into a buffer
// (kept in shared state, so a peer may go away with a read pending).
class ws_peer {
public:
    explicit ws_peer(asio::io_context& ioc) : ioc_(ioc), st_(std::make_shared<state>(ioc)) {}
    ~ws_peer() {
        boost::system::error_code ignored;
        st_->socket.close(ignored);
    }

    // Connects and returns the server's end, on `server_executor`.
    template <class Executor>
    tcp::socket connect(const Executor& server_executor) {
        tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        st_->socket.connect(acceptor.local_endpoint());
        tcp::socket server_side(server_executor);
        acceptor.accept(server_side);
        read_more(st_);
        return server_side;
    }

    void send(const std::string& bytes) { asio::write(st_->socket, asio::buffer(bytes)); }
    void send_text(std::string_view s) { send(client_text(s)); }

    // Skips the HTTP response head; returns it.
    std::string http_head() {
        auto& in = st_->in;
        EXPECT_TRUE(run_until(ioc_, [&] { return in.find("\r\n\r\n") != std::string::npos || st_->eof; }));
        auto end = in.find("\r\n\r\n");
        if (end == std::string::npos) return {};
        auto head = in.substr(0, end + 4);
        in.erase(0, end + 4);
        return head;
    }

    // The next frame from the server, or nullopt at EOF.
    std::optional<server_frame> frame() {
        server_frame f;
        std::size_t used = 0;
        run_until(ioc_, [&] { return (used = parse_server_frame(st_->in, f)) > 0 || st_->eof; });
        if (!used) return std::nullopt;
        st_->in.erase(0, used);
        return f;
    }

    // The next frame's payload if it is text.
    std::string text() {
        auto f = frame();
        if (!f) return "<eof>";
        if (f->opcode != 1) return "<opcode " + std::to_string(f->opcode) + ">";
        return f->payload;
    }

    bool wait_eof() { return run_until(ioc_, [&] { return st_->eof; }); }
    // Everything after what was read so far, up to EOF (an HTTP error's body).
    std::string rest() {
        wait_eof();
        return st_->in;
    }

    // TCP segments with data that this end has received so far (Linux).
    std::uint32_t data_segments_in() { return test::data_segments_in(st_->socket.native_handle()); }

    // Stops reading (after the read in flight): a client that went quiet.
    void stop_reading() { st_->paused = true; }
    // Reads again after stop_reading().
    void resume_reading() {
        if (!st_->paused) return;
        st_->paused = false;
        read_more(st_);
    }

private:
    struct state {
        explicit state(asio::io_context& ioc) : socket(ioc) {}
        tcp::socket socket;
        std::array<char, 65536> buf{};
        std::string in;
        bool eof = false;
        bool paused = false;
    };

    static void read_more(std::shared_ptr<state> st) {
        auto& sock = st->socket;
        auto& buf = st->buf;
        sock.async_read_some(asio::buffer(buf), [st](boost::system::error_code ec, std::size_t n) {
            if (ec) {
                st->eof = true;
                return;
            }
            st->in.append(st->buf.data(), n);
            if (!st->paused) read_more(st);
        });
    }

    asio::io_context& ioc_;
    std::shared_ptr<state> st_;
};

std::uint16_t close_code_of(const server_frame& f) {
    if (f.payload.size() < 2) return 0;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(f.payload[0]) << 8 |
                                      static_cast<unsigned char>(f.payload[1]));
}

net::request upgrade_request(std::string target) {
    net::request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    return req;
}

}  // namespace

class EioWebSocket : public EioServer {
protected:
    // Connects a peer and hands the server end to handle_upgrade().
    void upgrade(ws_peer& peer, net::request req) {
        auto server_side = peer.connect(ioc.get_executor());
        asio::co_spawn(ioc, server->handle_upgrade(net::beast::tcp_stream(std::move(server_side)), std::move(req)),
                       asio::detached);
    }

    void open_direct(ws_peer& peer) {
        upgrade(peer, upgrade_request("/engine.io/?EIO=4&transport=websocket"));
        auto head = peer.http_head();
        ASSERT_NE(head.find("101"), std::string::npos) << head;
        ASSERT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
        auto open = peer.text();
        ASSERT_EQ(open.substr(0, 1), "0") << open;
        auto o = boost::json::parse(open.substr(1)).as_object();
        EXPECT_EQ(o.at("upgrades"), boost::json::array{});
        sid = std::string(o.at("sid").as_string());
    }

    // Opens `peer` as the upgrade WebSocket of polling session `polling_sid`
    // and exchanges 2probe/3probe; the upgrade completes with "5".
    void start_probe(ws_peer& peer, const std::string& polling_sid) {
        upgrade(peer, upgrade_request("/engine.io/?EIO=4&transport=websocket&sid=" + polling_sid));
        ASSERT_NE(peer.http_head().find("101"), std::string::npos);
        peer.send_text("2probe");
        EXPECT_EQ(peer.text(), "3probe");
    }

    // Starts an upgrade of polling session `sid` and closes the probe
    // WebSocket after 2probe/3probe, before "5".
    void fail_a_probe(const std::string& polling_sid) {
        ws_peer probe(ioc);
        ASSERT_NO_FATAL_FAILURE(start_probe(probe, polling_sid));
        probe.send(client_frame(0x8, close_body(1000)));
        probe.frame();
        EXPECT_TRUE(probe.wait_eof());
    }

    std::string sid;
};

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
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(close_code_of(*f), 1002);
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
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(close_code_of(*f), 1002);
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
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(close_code_of(*f), 1009);
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
}

TEST_F(EioWebSocket, TheClientsCloseFrameIsAnsweredAndEndsTheSession) {
    make_server(no_heartbeat_soon());
    ws_peer peer(ioc);
    open_direct(peer);
    peer.send(client_frame(0x8, close_body(1001, "tab closed")));
    auto f = peer.frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(close_code_of(*f), 1001);
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
        {"/engine.io/?EIO=3&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==", "13", "\"code\":5"},
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
