// The fixtures of the engineio::server tests: EioServer drives handle_http()
// in memory; EioWebSocket adds a loopback TCP peer (ws_peer) that speaks
// masked client frames as a browser would, handed to handle_upgrade().
// Test-only.
#pragma once

#include "eio_test_support.hpp"
#include "../net/ws_test_frames.hpp"

#include "net/batch_sender.hpp"
#include "net/ws_codec.hpp"

#include "../net/tcp_segments.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace solgrid::test {

using engineio::close_reason;
namespace http = net::http;
using tcp = asio::ip::tcp;


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

inline std::uint16_t close_code_of(const server_frame& f) {
    if (f.payload.size() < 2) return 0;
    return static_cast<std::uint16_t>(static_cast<unsigned char>(f.payload[0]) << 8 |
                                      static_cast<unsigned char>(f.payload[1]));
}

inline net::request upgrade_request(std::string target) {
    net::request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    return req;
}

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

}  // namespace solgrid::test
