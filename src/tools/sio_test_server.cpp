// A Socket.IO server for the integration tests (tests/integration/
// socketio-*.test.mjs): the real engineio/socketio classes with handlers
// that exercise what `solgrid serve`'s default namespace does not — rooms,
// server → client acknowledgements, binary payloads both ways, server-side
// disconnects, a refusing middleware. Heartbeat, recovery and limits come
// from flags. Listens on 127.0.0.1 by default; prints its port.
//
// Namespace "/" (every handler answers through the client's ack, if any):
//   join(room) / leave(room)        → ack(rooms of the socket, sorted)
//   rooms()                         → ack(rooms)
//   broadcast({event, args, to?, except?})  → namespace broadcast; ack("done")
//   echo(...args)                   → ack(...args)           (binary kept)
//   echo-binary(...args)            → emit("binary-back", ...args), ack("done")
//   send-binary(n)                  → emit("binary", {n, data: <n bytes>})
//   ask-client({event, args, timeout_ms}, ...more)
//                                   → emit(event, ...args, ...more) to this client
//                                     with an ack (binary kept); ack({error},
//                                     ...its answer) when it answers or times out
//   kick(close_connection)          → socket.disconnect(close_connection)
//   drop-transport()                → closes the Engine.IO session with no
//                                     DISCONNECT packet (a network failure)
//   on connect: emit("welcome", {id, recovered, rooms})
// Namespace "/private": a middleware refuses unless auth.token == "letmein".
// HTTP: GET /stats → {sessions, clients, sockets}; GET /stats?socket=<id> →
// {connected}: whether that socket is connected to "/"; POST /emit with
// {event, args, to?, except?} → broadcast on "/".
#include "engineio/server.hpp"
#include "net/http_server.hpp"
#include "socketio/server.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>
#include <thread>

using namespace solgrid;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Forwards to the Socket.IO server, remembering on this thread which
// Engine.IO session a message came from while its handlers run (they run
// synchronously inside on_message), so drop-transport can close it.
class session_tracker final : public engineio::session_handler {
public:
    explicit session_tracker(socketio::server& sio) : sio_(sio) {}
    std::shared_ptr<engineio::session_listener> on_open(const engineio::session_ptr& s) override {
        return std::make_shared<tracked>(sio_.on_open(s));
    }
    static engineio::session_ptr current() { return current_; }

private:
    class tracked final : public engineio::session_listener {
    public:
        explicit tracked(std::shared_ptr<engineio::session_listener> inner) : inner_(std::move(inner)) {}
        void on_message(const engineio::session_ptr& s, engineio::packet&& m) override {
            current_ = s;
            inner_->on_message(s, std::move(m));
            current_.reset();
        }
        void on_close(const engineio::session_ptr& s, engineio::close_reason r) override { inner_->on_close(s, r); }

    private:
        std::shared_ptr<engineio::session_listener> inner_;
    };
    socketio::server& sio_;
    static thread_local engineio::session_ptr current_;
};
thread_local engineio::session_ptr session_tracker::current_;

json::array sorted_rooms(const socketio::socket& s) {
    json::array out;
    for (const auto& r : s.rooms()) out.push_back(json::string(r));
    return out;  // std::set: already sorted
}

std::vector<std::string> strings_of(const json::value* v) {
    std::vector<std::string> out;
    if (!v) return out;
    if (v->is_string()) out.emplace_back(v->as_string());
    if (v->is_array())
        for (const auto& e : v->as_array())
            if (e.is_string()) out.emplace_back(e.as_string());
    return out;
}

// {event, args, to?, except?} → a broadcast on `ns`; false if malformed.
bool broadcast(socketio::namespace_& ns, const json::value& spec, std::vector<std::string> attachments = {}) {
    if (!spec.is_object()) return false;
    const auto& o = spec.as_object();
    auto* event = o.if_contains("event");
    if (!event || !event->is_string()) return false;
    socketio::payload p;
    if (auto* args = o.if_contains("args"); args && args->is_array()) p.args = args->as_array();
    p.attachments = std::move(attachments);
    ns.emit(event->as_string(), std::move(p), strings_of(o.if_contains("to")), strings_of(o.if_contains("except")));
    return true;
}

socketio::payload one(json::value v) {
    socketio::payload p;
    p.args.push_back(std::move(v));
    return p;
}

void setup_root(socketio::namespace_& ns) {
    ns.on_connection([&ns](const socketio::socket_ptr& s) {
        s->emit("welcome", one(json::object{{"id", s->id()}, {"recovered", s->recovered()}, {"rooms", sorted_rooms(*s)}}));

        s->on("join", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender ack) {
            for (const auto& r : strings_of(a.args.empty() ? nullptr : &a.args[0])) self->join(r);
            if (ack) ack(one(sorted_rooms(*self)));
        });
        s->on("leave", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender ack) {
            for (const auto& r : strings_of(a.args.empty() ? nullptr : &a.args[0])) self->leave(r);
            if (ack) ack(one(sorted_rooms(*self)));
        });
        s->on("rooms", [](const socketio::socket_ptr& self, socketio::payload&&, socketio::ack_sender ack) {
            if (ack) ack(one(sorted_rooms(*self)));
        });
        s->on("broadcast", [&ns](const socketio::socket_ptr&, socketio::payload&& a, socketio::ack_sender ack) {
            bool ok = !a.args.empty() && broadcast(ns, a.args[0], std::move(a.attachments));
            if (ack) ack(one(ok ? "done" : "bad request"));
        });
        s->on("echo", [](const socketio::socket_ptr&, socketio::payload&& a, socketio::ack_sender ack) {
            if (ack) ack(std::move(a));
        });
        s->on("echo-binary", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender ack) {
            self->emit("binary-back", std::move(a));
            if (ack) ack(one("done"));
        });
        s->on("send-binary", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender ack) {
            std::size_t n = 0;
            if (!a.args.empty() && a.args[0].is_number()) n = std::min<std::size_t>(a.args[0].to_number<std::size_t>(), 1 << 20);
            std::string bytes(n, '\0');
            for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>(i & 0xff);
            socketio::payload p;
            p.args.push_back(json::object{{"n", n}, {"data", socketio::placeholder(0)}});
            p.attachments.push_back(std::move(bytes));
            self->emit("binary", std::move(p));
            if (ack) ack(one("done"));
        });
        s->on("ask-client", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender ack) {
            std::string event = "question";
            socketio::payload question;
            std::chrono::milliseconds timeout{5000};
            if (!a.args.empty() && a.args[0].is_object()) {
                const auto& o = a.args[0].as_object();
                if (auto* e = o.if_contains("event"); e && e->is_string()) event = std::string(e->as_string());
                if (auto* q = o.if_contains("args"); q && q->is_array()) question.args = q->as_array();
                if (auto* t = o.if_contains("timeout_ms"); t && t->is_number())
                    timeout = std::chrono::milliseconds(t->to_number<std::int64_t>());
            }
            for (std::size_t i = 1; i < a.args.size(); ++i) question.args.push_back(std::move(a.args[i]));
            question.attachments = std::move(a.attachments);
            self->emit_with_ack(event, std::move(question), timeout,
                                [ack](std::optional<std::string> error, socketio::payload answer) {
                                    if (!ack) return;
                                    socketio::payload reply;
                                    reply.args.push_back(json::object{
                                        {"error", error ? json::value(json::string(*error)) : json::value(nullptr)}});
                                    for (auto& v : answer.args) reply.args.push_back(std::move(v));
                                    reply.attachments = std::move(answer.attachments);
                                    ack(std::move(reply));
                                });
        });
        s->on("kick", [](const socketio::socket_ptr& self, socketio::payload&& a, socketio::ack_sender) {
            bool close = !a.args.empty() && a.args[0].is_bool() && a.args[0].as_bool();
            self->disconnect(close);
        });
        s->on("drop-transport", [](const socketio::socket_ptr&, socketio::payload&&, socketio::ack_sender) {
            if (auto session = session_tracker::current()) session->close(engineio::close_reason::transport_error);
        });
    });
}

void setup_private(socketio::namespace_& ns) {
    ns.use([](socketio::socket& s) -> std::optional<socketio::connect_error> {
        auto* token = s.handshake().auth.if_contains("token");
        if (token && token->is_string() && token->as_string() == "letmein") return std::nullopt;
        return socketio::connect_error{"unauthorized", json::value(json::object{{"reason", "bad token"}})};
    });
    ns.on_connection([](const socketio::socket_ptr& s) {
        s->emit("welcome", one(json::object{{"id", s->id()}, {"nsp", "/private"}}));
    });
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"Socket.IO server for the integration tests"};
    int port = 0;
    std::string host = "127.0.0.1";
    int ping_interval = 25000, ping_timeout = 20000, connect_timeout = 45000, recovery_window = 0;
    std::size_t max_payload = 1000000, max_queued = 4096;
    std::string cors = "*";
    cli.add_option("--port", port, "port (0: any free port)")->capture_default_str();
    cli.add_option("--host", host, "address")->capture_default_str();
    cli.add_option("--ping-interval", ping_interval, "ms")->capture_default_str()->check(CLI::Range(10, 3600000));
    cli.add_option("--ping-timeout", ping_timeout, "ms")->capture_default_str()->check(CLI::Range(10, 3600000));
    cli.add_option("--connect-timeout", connect_timeout, "ms")->capture_default_str()->check(CLI::Range(10, 3600000));
    cli.add_option("--recovery-window", recovery_window, "ms; 0 turns recovery off")->capture_default_str();
    cli.add_option("--max-payload", max_payload, "bytes")->capture_default_str();
    cli.add_option("--max-queued", max_queued, "packets per client")->capture_default_str();
    cli.add_option("--cors", cors, "* or a comma-separated list of origins")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    asio::io_context ioc(2);
    engineio::settings eio;
    eio.ping_interval = std::chrono::milliseconds(ping_interval);
    eio.ping_timeout = std::chrono::milliseconds(ping_timeout);
    eio.max_payload = max_payload;
    eio.max_queued = max_queued;

    socketio::server_options sopts;
    sopts.connect_timeout = std::chrono::milliseconds(connect_timeout);
    sopts.recovery.window = std::chrono::milliseconds(recovery_window);
    socketio::server sio(sopts);
    auto& root = sio.of("/");
    setup_root(root);
    setup_private(sio.of("/private"));
    session_tracker tracker(sio);
    engineio::server endpoint(ioc, "/socket.io/", eio, net::cors_policy(split(cors)), tracker);

    net::handlers h;
    h.http = [&](net::request& req, const net::request_info& info) -> asio::awaitable<net::response> {
        if (endpoint.matches(req.target())) co_return co_await endpoint.handle_http(req, info);
        net::response res{net::http::status::not_found, req.version()};
        res.set(net::http::field::content_type, "application/json");
        std::string_view target = req.target();
        if (target.rfind("/stats", 0) == 0 && req.method() == net::http::verb::get) {
            res.result(net::http::status::ok);
            if (auto q = target.find("?socket="); q != std::string_view::npos) {
                auto ids = root.socket_ids_in(std::string(target.substr(q + 8)));
                res.body() = json::serialize(json::object{{"connected", !ids.empty()}});
            } else {
                res.body() = json::serialize(json::object{{"sessions", endpoint.session_count()},
                                                          {"clients", sio.client_count()},
                                                          {"sockets", root.socket_count()}});
            }
        } else if (req.target() == "/emit" && req.method() == net::http::verb::post) {
            boost::system::error_code ec;
            auto spec = json::parse(req.body(), ec);
            bool ok = !ec && broadcast(root, spec);
            res.result(ok ? net::http::status::ok : net::http::status::bad_request);
            res.body() = ok ? R"({"ok":true})" : R"({"ok":false})";
        } else {
            res.body() = R"({"error":"not found"})";
        }
        res.prepare_payload();
        co_return res;
    };
    h.wants_upgrade = [&](const net::request& req) { return endpoint.matches(req.target()); };
    h.upgrade = [&](net::beast::tcp_stream stream, net::request req, net::request_info info) {
        return endpoint.handle_upgrade(std::move(stream), std::move(req), info);
    };
    net::server_options o;
    o.host = host;
    o.port = static_cast<std::uint16_t>(port);
    o.body_limit = std::max<std::size_t>(max_payload * 2, 1 << 20);
    net::http_server server(ioc, o, h);
    server.start();
    std::printf("sio-test-server listening on http://%s:%u\n", host.c_str(), server.port());
    std::fflush(stdout);

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        endpoint.close_all(engineio::close_reason::server_shutdown);
        ioc.stop();
    });
    std::thread other([&] { ioc.run(); });
    ioc.run();
    other.join();
    return 0;
}
