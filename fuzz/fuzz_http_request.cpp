// libFuzzer target: HTTP request handling end to end, in memory. The bytes
// are what a client writes on a connection: they go through Beast's request
// parser with the server's settings (net::server_options: 16 KiB of header,
// the 1 MiB body limit), read in uneven pieces as from a socket, several
// requests per connection while both sides keep it alive (pipelining), and
// every request that parses goes through http_api::router::dispatch with the
// real routes (add_api_routes, add_device_routes, add_history_routes and the
// static-file fallback over a temporary frontend/dist), backed by in-memory
// implementations of the domain ports, with the awaitable run on an
// io_context. The answer is then serialised as the server would write it.
//
// A header `X-Fuzz-Storage: down` or `refuse` makes the in-memory stores
// throw storage_unavailable / storage_refused, as a database would.
//
// Invariants: never crash (ASan/UBSan included); dispatch never throws; every
// answer has a known status; no 5xx except 503 while storage is "down"; a
// JSON answer is valid JSON; no file outside the frontend root is served.
// Not here: Engine.IO (its own targets: eio_payload, sio_packet, ws_frames)
// and the server's socket loop (net/http_server.cpp, tested with real sockets).
#include "domain/device_monitor.hpp"
#include "domain/history.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "domain/sensor_ingest.hpp"
#include "http/api_routes.hpp"
#include "http/device_routes.hpp"
#include "http/history_routes.hpp"
#include "http/static_files.hpp"
#include "net/http_server.hpp"  // server_options: the parser limits the server uses

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace solgrid;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;

namespace {

enum class storage_mode { up, down, refuse };
storage_mode storage = storage_mode::up;

void storage_gate() {
    if (storage == storage_mode::down) throw domain::storage_unavailable("fuzz: database down");
    if (storage == storage_mode::refuse) throw domain::storage_refused("fuzz: CHECK constraint failed: soc");
}

struct memory_readings final : domain::reading_store, domain::history_store {
    std::vector<domain::stored_reading> rows;

    asio::awaitable<domain::stored_reading> append(domain::reading r, domain::time_point at) override {
        storage_gate();
        rows.push_back({static_cast<std::int64_t>(rows.size() + 1), r, at});
        co_return rows.back();
    }
    asio::awaitable<std::optional<domain::stored_reading>> latest() override {
        storage_gate();
        if (rows.empty()) co_return std::nullopt;
        co_return rows.back();
    }
    asio::awaitable<std::vector<domain::stored_reading>> raw(domain::time_point from, domain::time_point to,
                                                             std::size_t limit) override {
        storage_gate();
        std::vector<domain::stored_reading> out;
        for (const auto& r : rows)
            if (r.at >= from && r.at <= to && out.size() < limit) out.push_back(r);
        co_return out;
    }
    asio::awaitable<std::vector<domain::bucket_summary>> hourly(domain::time_point, domain::time_point,
                                                                std::size_t) override {
        storage_gate();
        co_return std::vector<domain::bucket_summary>{};
    }
    asio::awaitable<std::vector<domain::time_point>> unrolled_hours(domain::time_point) override {
        storage_gate();
        co_return std::vector<domain::time_point>{};
    }
    asio::awaitable<bool> roll_up_hour(domain::time_point, domain::gap_rule, domain::time_point) override {
        storage_gate();
        co_return false;
    }
    asio::awaitable<std::size_t> delete_raw_before(domain::time_point) override {
        storage_gate();
        co_return std::size_t{0};
    }
};

struct memory_relays final : domain::relay_store {
    std::optional<domain::relay_state> state;
    std::int64_t rows = 0;

    asio::awaitable<std::optional<domain::relay_state>> current() override {
        storage_gate();
        co_return state;
    }
    asio::awaitable<std::int64_t> append(domain::relay_state s, domain::time_point, std::string) override {
        storage_gate();
        state = s;
        co_return ++rows;
    }
};

// Every event must be one the clients can read: serialisable JSON.
struct checking_notifier final : domain::notifier {
    void publish(const std::string& event, const boost::json::value& payload) override {
        if (event.empty() || boost::json::serialize(payload).empty()) std::abort();
    }
};

// A frontend/dist with an index and an asset, and beside it (outside the
// root) a file that must never be served, also reachable through a symlink.
constexpr std::size_t secret_size = 4321;

struct frontend_dir {
    fs::path base, root;
    frontend_dir() {
        char tmpl[] = "/tmp/solgrid-fuzz-XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        base = tmpl;
        root = base / "dist";
        fs::create_directories(root / "assets");
        std::ofstream(root / "index.html") << "<!doctype html><title>solgrid</title>";
        std::ofstream(root / "assets" / "app.js") << "console.log('solgrid')";
        std::ofstream(base / "secret.txt") << std::string(secret_size, 'S');
        fs::create_symlink(base / "secret.txt", root / "assets" / "secret.js");
        fs::create_symlink(base, root / "up");
    }
    ~frontend_dir() {
        std::error_code ec;
        fs::remove_all(base, ec);
    }
};

// A socket's read side over the fuzz input: read_some hands out uneven
// pieces (1 to 97 bytes), as TCP segments would, then end of stream.
class memory_stream {
public:
    explicit memory_stream(std::string_view data) : data_(data) {}

    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        if (pos_ == data_.size()) {
            ec = asio::error::eof;
            return 0;
        }
        ec = {};
        std::size_t piece = std::min<std::size_t>(data_.size() - pos_, 1 + (reads_++ * 37 + pos_) % 97);
        std::size_t n = asio::buffer_copy(buffers, asio::buffer(data_.data() + pos_, piece));
        pos_ += n;
        return n;
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        auto n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
    std::size_t reads_ = 0;
};

// A socket's write side that keeps what the server wrote.
struct sink_stream {
    std::string written;
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
        ec = {};
        std::size_t n = 0;
        for (auto b : beast::buffers_range_ref(buffers)) {
            written.append(static_cast<const char*>(b.data()), b.size());
            n += b.size();
        }
        return n;
    }
    template <class Buffers>
    std::size_t write_some(const Buffers& buffers) {
        boost::system::error_code ec;
        return write_some(buffers, ec);
    }
};

storage_mode mode_of(const net::request& req) {
    auto v = req["X-Fuzz-Storage"];
    if (v == "down") return storage_mode::down;
    if (v == "refuse") return storage_mode::refuse;
    return storage_mode::up;
}

// SOLGRID_FUZZ_TRACE=1: one line per request, to see what an input does.
const bool trace = std::getenv("SOLGRID_FUZZ_TRACE") != nullptr;

void check_answer(const net::request& req, net::response& res, storage_mode mode) {
    auto status = res.result_int();
    if (trace)
        std::cerr << req.method_string() << " " << req.target() << " -> " << status << " "
                  << (res.body().has_file() ? "(file)" : std::string_view(res.body()).substr(0, 120)) << "\n";
    if (http::int_to_status(status) == http::status::unknown || status < 200) {
        std::cerr << "unknown status " << status << " for " << req.target() << "\n";
        std::abort();
    }
    if (status >= 500 && !(status == 503 && mode == storage_mode::down)) {
        std::cerr << "status " << status << " for " << req.method_string() << " " << req.target() << ": "
                  << std::string_view(res.body()).substr(0, 300) << "\n";
        std::abort();
    }
    if (!res.body().has_file() && res[http::field::content_type].starts_with("application/json") &&
        !res.body().empty()) {
        boost::system::error_code ec;
        boost::json::parse(res.body(), ec);
        if (ec) {
            std::cerr << "invalid JSON answer for " << req.target() << ": " << res.body() << "\n";
            std::abort();
        }
    }
    if (res.body().has_file() && res.body().payload_size() == secret_size) {
        std::cerr << "served the file outside the root for " << req.target() << "\n";
        std::abort();
    }
    // Written out as the server writes it (the file body streamed too).
    sink_stream out;
    boost::system::error_code ec;
    http::write(out, res, ec);
    if (ec || out.written.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::err);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static frontend_dir frontend;
    static asio::io_context ioc(1);
    static const auto files = std::make_shared<http_api::static_files>(frontend.root);

    // The domain as the app wires it, over memory (state from one input only).
    storage = storage_mode::up;
    memory_readings store;
    memory_relays relay_rows;
    checking_notifier events;
    auto now = domain::clock::now();
    for (int i = 3; i > 0; --i)
        store.rows.push_back({4 - i, {50 + i, 100.0 * i, 1000.0 * i}, now - std::chrono::minutes(20 * i)});
    domain::readings_service readings(store, events);
    domain::relay_service relays(relay_rows, events);
    domain::device_monitor monitor(events, std::chrono::milliseconds(2000), 5);
    domain::sensor_ingest ingest(readings, relays, &monitor);
    domain::history_service history(store, domain::history_settings{});
    {
        auto warm = [&]() -> asio::awaitable<void> {
            co_await readings.warm_up();
            co_await relays.warm_up();
        };
        asio::co_spawn(ioc, warm(), [](std::exception_ptr e) {
            if (e) std::abort();
        });
        ioc.restart();
        ioc.run();
    }

    http_api::router router(net::cors_policy({"http://127.0.0.1:5000"}));
    http_api::api_context api{readings, relays, ingest, 10000.0, "sqlite", [] {
                                  return storage == storage_mode::down
                                             ? std::optional<std::string>("database down")
                                             : std::nullopt;
                              }};
    http_api::add_api_routes(router, api);
    http_api::add_device_routes(router, {relays, monitor, nullptr, ""});
    http_api::add_history_routes(router, {history, readings, 10000.0});
    router.fallback([](http_api::request_context& rc) -> asio::awaitable<net::response> {
        co_return files->serve(rc.req, rc.path);
    });

    const net::server_options server;  // the limits http_server gives its parser
    const net::request_info info{net::tcp::endpoint(asio::ip::make_address("192.0.2.7"), 40000)};
    memory_stream stream(std::string_view(reinterpret_cast<const char*>(data), size));
    beast::flat_buffer buffer;
    for (int n = 0; n < 8; ++n) {  // one connection, keep-alive
        http::request_parser<http::string_body> parser;
        parser.body_limit(server.body_limit);
        parser.header_limit(static_cast<std::uint32_t>(server.header_limit));
        boost::system::error_code ec;
        http::read(stream, buffer, parser, ec);
        if (ec) break;  // the server answers 400/413/431 and closes
        net::request req = parser.release();
        storage = mode_of(req);

        std::optional<net::response> answer;
        std::exception_ptr failure;
        auto op = router.dispatch(req, info);
        asio::co_spawn(ioc, std::move(op), [&](std::exception_ptr e, net::response r) {
            failure = e;
            answer = std::move(r);
        });
        ioc.restart();
        ioc.run();
        if (failure || !answer) std::abort();  // dispatch answers everything itself
        check_answer(req, *answer, storage);
        if (!req.keep_alive() || !answer->keep_alive()) break;
    }
    return 0;
}
