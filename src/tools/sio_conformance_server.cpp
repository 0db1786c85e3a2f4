// The server the official Engine.IO and Socket.IO protocol test suites
// expect (their test-suite/ folders): a bare Engine.IO echo endpoint at
// /engine.io/ and Socket.IO at /socket.io/ with namespaces "/" and
// "/custom" that emit `auth` on connect, answer `message` with
// `message-back`, and acknowledge `message-with-ack`. Ping 300 ms, timeout
// 200 ms, connect timeout 1 s, maxPayload 1000000, no state recovery.
#include "engineio/server.hpp"
#include "net/http_server.hpp"
#include "socketio/server.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <thread>

using namespace solgrid;
namespace asio = boost::asio;

namespace {

// Engine.IO echo: every message straight back, text as text, binary as binary.
class echo_listener final : public engineio::session_listener {
public:
    void on_message(const engineio::session_ptr& s, engineio::packet&& m) override {
        s->send(m.binary ? engineio::make_binary(std::move(m.data))
                         : engineio::make_packet(engineio::packet_type::message, m.data));
    }
    void on_close(const engineio::session_ptr&, engineio::close_reason) override {}
};

// Every session shares the one stateless echo listener.
class echo_handler final : public engineio::session_handler {
public:
    std::shared_ptr<engineio::session_listener> on_open(const engineio::session_ptr&) override { return echo_; }

private:
    std::shared_ptr<echo_listener> echo_ = std::make_shared<echo_listener>();
};

void setup_namespace(socketio::namespace_& ns) {
    ns.on_connection([](const socketio::socket_ptr& s) {
        socketio::payload auth;
        auth.args.push_back(s->handshake().auth);
        s->emit("auth", std::move(auth));
        s->on("message", [](const socketio::socket_ptr& self, socketio::payload&& args, socketio::ack_sender) {
            self->emit("message-back", std::move(args));
        });
        s->on("message-with-ack", [](const socketio::socket_ptr&, socketio::payload&& args, socketio::ack_sender ack) {
            if (ack) ack(std::move(args));
        });
    });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"Socket.IO / Engine.IO protocol conformance server"};
    int port = 3000;
    std::string host = "127.0.0.1";
    cli.add_option("--port", port, "port")->capture_default_str();
    cli.add_option("--host", host, "address")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    asio::io_context ioc(2);
    engineio::settings eio;
    eio.ping_interval = std::chrono::milliseconds(300);
    eio.ping_timeout = std::chrono::milliseconds(200);
    eio.max_payload = 1000000;
    net::cors_policy cors({"*"});

    echo_handler echo;
    engineio::server echo_endpoint(ioc, "/engine.io/", eio, cors, echo);

    socketio::server_options sopts;
    sopts.connect_timeout = std::chrono::milliseconds(1000);
    socketio::server sio(sopts);
    setup_namespace(sio.of("/"));
    setup_namespace(sio.of("/custom"));
    engineio::server sio_endpoint(ioc, "/socket.io/", eio, cors, sio);

    net::handlers h;
    h.http = [&](net::request& req, const net::request_info& info) -> asio::awaitable<net::response> {
        if (echo_endpoint.matches(req.target())) co_return co_await echo_endpoint.handle_http(req, info);
        if (sio_endpoint.matches(req.target())) co_return co_await sio_endpoint.handle_http(req, info);
        net::response res{net::http::status::not_found, req.version()};
        res.prepare_payload();
        co_return res;
    };
    h.wants_upgrade = [&](const net::request& req) {
        return echo_endpoint.matches(req.target()) || sio_endpoint.matches(req.target());
    };
    h.upgrade = [&](net::beast::tcp_stream stream, net::request req, net::request_info info) {
        return echo_endpoint.matches(req.target()) ? echo_endpoint.handle_upgrade(std::move(stream), std::move(req), info)
                                                   : sio_endpoint.handle_upgrade(std::move(stream), std::move(req), info);
    };
    net::server_options o;
    o.host = host;
    o.port = static_cast<std::uint16_t>(port);
    net::http_server server(ioc, o, h);
    server.start();
    std::printf("conformance server listening on http://%s:%u\n", host.c_str(), server.port());
    std::fflush(stdout);

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { ioc.stop(); });
    std::thread other([&] { ioc.run(); });
    ioc.run();
    other.join();
    return 0;
}
