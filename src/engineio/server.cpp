#include "engineio/server.hpp"

#include "net/ws_codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <sys/random.h>

namespace solgrid::engineio {
namespace {

namespace http = net::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A session's error back as our enum (the session reports only ours).
error error_of(const boost::system::error_code& ec) {
    return ec.category() == error_category() ? static_cast<error>(ec.value()) : error::bad_request;
}

}  // namespace

std::string random_id() {
    unsigned char raw[15];
    std::size_t got = 0;
    while (got < sizeof raw) {
        auto n = getrandom(raw + got, sizeof raw - got, 0);
        if (n > 0) got += static_cast<std::size_t>(n);
    }
    static constexpr char url64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id;
    id.reserve(20);
    for (int i = 0; i < 15; i += 3) {
        unsigned v = raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2];
        id += url64[v >> 18 & 63];
        id += url64[v >> 12 & 63];
        id += url64[v >> 6 & 63];
        id += url64[v & 63];
    }
    return id;
}

namespace {

struct parsed_query {
    std::map<std::string, std::string> all;
    std::optional<engineio::error> error;
    std::string transport;
    std::string sid;
    int protocol = 4;
};

parsed_query parse_query(const net::request& req, bool allow_eio3) {
    parsed_query q;
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) {
        q.error = error::bad_request;
        return q;
    }
    for (auto param : url->params()) q.all.emplace(param.key, param.value);
    auto eio = q.all.find("EIO");
    auto transport = q.all.find("transport");
    if (eio == q.all.end()) {
        q.error = error::bad_request;
    } else if (eio->second != "4" && !(allow_eio3 && eio->second == "3")) {
        q.error = error::unsupported_protocol_version;
    } else if (transport == q.all.end() || (transport->second != "polling" && transport->second != "websocket")) {
        q.error = error::unknown_transport;
    } else {
        q.transport = transport->second;
        q.protocol = eio->second == "3" ? 3 : 4;
        if (auto sid = q.all.find("sid"); sid != q.all.end()) q.sid = sid->second;
    }
    return q;
}

handshake_info make_info(const net::request& req, const net::request_info& info, std::map<std::string, std::string> query,
                         std::string transport, int protocol) {
    handshake_info h;
    h.protocol = protocol;
    // engine.io 3 takes any value of b64 as yes.
    if (auto b64 = query.find("b64"); protocol == 3 && b64 != query.end() && !b64->second.empty()) h.b64 = true;
    h.query = std::move(query);
    if (auto it = req.find(http::field::origin); it != req.end()) h.origin = std::string(it->value());
    if (auto it = req.find(http::field::user_agent); it != req.end()) h.user_agent = std::string(it->value());
    if (auto it = req.find(http::field::cookie); it != req.end()) h.cookie = std::string(it->value().substr(0, 8192));
    h.remote_address = info.remote.address().to_string();
    h.transport = std::move(transport);
    return h;
}

}  // namespace

server::server(asio::io_context& ioc, std::string path, settings cfg, net::cors_policy cors, session_handler& handler)
    : ioc_(ioc), path_(std::move(path)), cfg_(cfg), cors_(std::move(cors)), handler_(handler) {
    cfg_.counters = &stats_;
}

net::response server::error_response(const net::request& req, error e, const net::cors_policy& cors) {
    auto answer = to_http(e);
    net::response res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::content_type, "application/json");
    boost::json::object body{{"code", answer.code}, {"message", answer.message}};
    res.body() = boost::json::serialize(body);
    cors.apply(req, res, true);
    res.prepare_payload();
    return res;
}

void server::add_cors(const net::request& req, net::response& res) const { cors_.apply(req, res, true); }

session_ptr server::find(const std::string& sid) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(sid);
    return it == sessions_.end() ? nullptr : it->second;
}

std::size_t server::session_count() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

std::pair<std::size_t, std::size_t> server::sessions_by_transport() const {
    std::pair<std::size_t, std::size_t> n{0, 0};
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sessions_)
        (s->transport() == session::transport_kind::websocket ? n.second : n.first)++;
    return n;
}

session_ptr server::create(handshake_info info) {
    auto id = random_id();
    stats_.add(stats_.sessions_opened);
    auto s = std::make_shared<session>(asio::make_strand(ioc_), id, cfg_, handler_, std::move(info),
                                       [this](const std::string& gone) {
                                           std::lock_guard lock(mutex_);
                                           sessions_.erase(gone);
                                       });
    std::lock_guard lock(mutex_);
    sessions_.emplace(id, s);
    return s;
}

void server::close_all(close_reason r) {
    std::vector<session_ptr> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, s] : sessions_) all.push_back(s);
    }
    for (auto& s : all) s->close(r);
}

namespace {

// v3 (`protocol` 3) has no maxPayload.
std::string open_packet(const std::string& sid, bool upgrades, const settings& cfg, int protocol) {
    boost::json::object o;
    o["sid"] = sid;
    boost::json::array up;
    if (upgrades) up.push_back("websocket");
    o["upgrades"] = std::move(up);
    o["pingInterval"] = cfg.ping_interval.count();
    o["pingTimeout"] = cfg.ping_timeout.count();
    if (protocol != 3) o["maxPayload"] = cfg.max_payload;
    return "0" + boost::json::serialize(o);
}

}  // namespace

asio::awaitable<net::response> server::handle_http(net::request& req, const net::request_info& info) {
    if (req.method() == http::verb::options) co_return cors_.preflight(req, "GET, POST, OPTIONS", true);
    if (auto origin = req.find(http::field::origin); origin != req.end() && !cors_.allows_origin_of(req))
        co_return error_response(req, error::forbidden, cors_);
    auto q = parse_query(req, cfg_.allow_eio3);
    if (q.error) co_return error_response(req, *q.error, cors_);
    if (q.transport != "polling") co_return error_response(req, error::bad_request, cors_);

    auto text_response = [&](std::string body, bool binary = false) {
        net::response res{http::status::ok, req.version()};
        res.set(http::field::content_type, binary ? "application/octet-stream" : "text/plain; charset=UTF-8");
        res.set(http::field::cache_control, "no-store");
        add_cors(req, res);
        res.body() = std::move(body);
        res.prepare_payload();
        return res;
    };

    if (q.sid.empty()) {
        if (req.method() != http::verb::get) co_return error_response(req, error::bad_handshake_method, cors_);
        auto s = create(make_info(req, info, std::move(q.all), "polling", q.protocol));
        auto body = open_packet(s->id(), true, cfg_, q.protocol);
        if (q.protocol == 3) body = std::to_string(body.size()) + ':' + body;  // ASCII: bytes are UTF-16 units
        asio::post(s->executor(), [s] {
            s->start_heartbeat();
            s->open();
        });
        co_return text_response(std::move(body));
    }

    auto s = find(q.sid);
    if (!s) co_return error_response(req, error::unknown_sid, cors_);

    if (req.method() == http::verb::get) {
        auto wait = s->poll();
        auto answer = co_await asio::co_spawn(s->executor(), std::move(wait), asio::use_awaitable);
        if (!answer) co_return error_response(req, error_of(answer.error()), cors_);
        // A v3 body in the binary framing starts with a 0 or 1 byte (the
        // text framing with a digit character).
        bool binary = s->eio3() && !answer->empty() && static_cast<unsigned char>((*answer)[0]) <= 1;
        co_return text_response(std::move(*answer), binary);
    }
    if (req.method() == http::verb::post) {
        if (req.body().size() > cfg_.max_payload) {
            s->close(close_reason::transport_error);
            co_return error_response(req, error::payload_too_large, cors_);
        }
        // GCC 12 miscompiles lambda coroutines with captures handed to
        // co_spawn (the captures are destroyed twice): member coroutines only.
        bool binary_framing = false;
        if (auto type = req.find(http::field::content_type); type != req.end() && s->eio3())
            binary_framing = type->value().starts_with("application/octet-stream");
        auto work = s->post_async(std::move(req.body()), binary_framing);
        auto problem = co_await asio::co_spawn(s->executor(), std::move(work), asio::use_awaitable);
        if (problem) co_return error_response(req, error_of(problem), cors_);
        co_return text_response("ok");
    }
    co_return error_response(req, error::bad_handshake_method, cors_);
}

asio::awaitable<void> server::handle_upgrade(net::beast::tcp_stream stream, net::request req) {
    boost::system::error_code ignored;
    net::request_info info{stream.socket().remote_endpoint(ignored)};
    auto op = handle_upgrade(std::move(stream), std::move(req), info);
    co_await std::move(op);
}

asio::awaitable<void> server::handle_upgrade(net::beast::tcp_stream stream, net::request req, net::request_info info) {
    auto reject = [&](net::response res) -> asio::awaitable<void> {
        res.keep_alive(false);
        co_await http::async_write(stream, res, use_tuple);
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    };
    if (auto origin = req.find(http::field::origin); origin != req.end() && !cors_.allows_origin_of(req)) {
        co_await reject(error_response(req, error::forbidden, cors_));
        co_return;
    }
    auto q = parse_query(req, cfg_.allow_eio3);
    if (!q.error && q.transport != "websocket") q.error = error::bad_request;
    auto key = req.find(http::field::sec_websocket_key);
    auto version = req.find(http::field::sec_websocket_version);
    if (!q.error && (key == req.end() || version == req.end() || version->value() != "13"))
        q.error = error::bad_request;
    session_ptr existing;
    if (!q.error && !q.sid.empty()) {
        existing = find(q.sid);
        if (!existing) q.error = error::unknown_sid;
    }
    if (q.error) {
        co_await reject(error_response(req, *q.error, cors_));
        co_return;
    }
    bool refused = false;
    if (existing) {
        // Only a polling session without a probe in progress can upgrade;
        // one that closed meanwhile is as unknown as one never seen.
        auto check = existing->can_upgrade();
        auto ec = co_await asio::co_spawn(existing->executor(), std::move(check), asio::use_awaitable);
        if (ec == error::unknown_sid) {
            auto gone = error_response(req, error::unknown_sid, cors_);
            co_await reject(std::move(gone));
            co_return;
        }
        refused = static_cast<bool>(ec);
    }

    net::response res{http::status::switching_protocols, req.version()};
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    res.set(http::field::sec_websocket_accept, net::ws::accept_key(key->value()));
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    if (ec) co_return;
    if (refused) {
        // A session that already upgraded (or is upgrading) takes no second
        // WebSocket: accepted, then closed at once, as the reference does.
        auto frame = net::ws::encode_frame(net::ws::opcode::close, net::ws::close_payload(net::ws::close_code::policy_violation));
        co_await asio::async_write(stream.socket(), asio::buffer(frame), use_tuple);
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
    }

    // Move the socket onto the session's strand: all its state lives there.
    tcp::socket& raw = stream.socket();
    auto protocol = raw.local_endpoint(ec).protocol();
    if (ec) co_return;
    session_ptr target = existing;
    if (!target) target = create(make_info(req, info, std::move(q.all), "websocket", q.protocol));
    tcp::socket moved(target->executor(), protocol, raw.release());
    bool probe = existing != nullptr;
    asio::post(target->executor(), [this, target, probe, sock = std::move(moved),
                                    slot = std::move(info.connection_slot)]() mutable {
        if (target->closed() || (probe && target->has_websocket())) {
            boost::system::error_code ignored;
            sock.close(ignored);
            return;
        }
        target->attach_websocket(std::move(sock), probe, std::move(slot));
        if (!probe) {
            target->send(make_packet(packet_type::open,
                                     open_packet(target->id(), false, cfg_, target->handshake().protocol).substr(1)));
            target->start_heartbeat();
            target->open();
        }
    });
}

}  // namespace solgrid::engineio
