// libFuzzer target: HTTP request handling end to end, in memory. The bytes
// are what a client writes on a connection: they go through Beast's request
// parser with the server's settings (net::server_options: 16 KiB of header,
// the 1 MiB body limit), read in uneven pieces as from a socket, several
// requests per connection while both sides keep it alive (pipelining), and
// every request that parses goes through http_api::router::dispatch with the
// real routes (add_api_routes, add_auth_routes, add_device_routes,
// add_history_routes, add_market_routes and the static-file fallback over a temporary
// frontend/dist) behind the access guard as `serve` runs it with AUTH on
// (Cookie and Authorization parsed, sessions and tokens looked up, origin
// checks, roles, rate limits, the audit log), backed by in-memory
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
#include "common/cidr.hpp"
#include "crypto/secrets.hpp"
#include "domain/auth_service.hpp"
#include "http/access.hpp"
#include "http/api_routes.hpp"
#include "http/auth_routes.hpp"
#include "http/device_routes.hpp"
#include "http/history_routes.hpp"
#include "http/market_routes.hpp"
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

// Users, sessions, tokens and the audit log in memory, for the access guard
// and the auth routes (passwords hashed at the minimal Argon2id cost so a
// login costs microseconds). Known credentials the dictionary and the corpus
// use: cookie solgrid_session=fuzz-session-admin / -household, Bearer
// sgd_fuzzdevice / sgu_fuzzuser; passwords "admin-password", "house-password".
struct memory_auth final : domain::auth_store {
    std::vector<domain::user> users;
    struct session {
        std::string hash;
        std::int64_t user = 0;
        domain::time_point expires{};
    };
    std::vector<session> sessions;
    std::vector<domain::credential_snapshot::token_row> tokens;
    std::vector<domain::audit_entry> audit;
    std::int64_t next_id = 100;

    domain::user* by_name(const std::string& n) {
        for (auto& u : users)
            if (u.username == n) return &u;
        return nullptr;
    }
    asio::awaitable<std::int64_t> count_users() override {
        storage_gate();
        co_return static_cast<std::int64_t>(users.size());
    }
    asio::awaitable<std::optional<domain::user>> find_user(std::string username) override {
        storage_gate();
        auto* u = by_name(username);
        co_return u ? std::optional<domain::user>(*u) : std::nullopt;
    }
    asio::awaitable<std::vector<domain::user>> list_users() override {
        storage_gate();
        co_return users;
    }
    asio::awaitable<std::int64_t> add_user(domain::user u) override {
        storage_gate();
        if (by_name(u.username)) throw domain::storage_refused("username taken");
        u.id = ++next_id;
        users.push_back(u);
        co_return u.id;
    }
    asio::awaitable<bool> set_password(std::string username, std::string hash) override {
        storage_gate();
        auto* u = by_name(username);
        if (!u) co_return false;
        u->password_hash = hash;
        std::erase_if(sessions, [&](const session& s) { return s.user == u->id; });
        co_return true;
    }
    asio::awaitable<bool> remove_user(std::string username) override {
        storage_gate();
        auto* u = by_name(username);
        if (!u) co_return false;
        auto id = u->id;
        std::erase_if(sessions, [&](const session& s) { return s.user == id; });
        std::erase_if(tokens, [&](const auto& t) { return t.token.user_id == id; });
        std::erase_if(users, [&](const domain::user& x) { return x.id == id; });
        co_return true;
    }
    asio::awaitable<void> add_session(std::string hash, std::int64_t user, domain::time_point,
                                      domain::time_point expires) override {
        storage_gate();
        sessions.push_back({hash, user, expires});
        co_return;
    }
    asio::awaitable<std::optional<domain::user>> session_user(std::string, domain::time_point) override {
        co_return std::nullopt;  // auth_service reads its snapshot, never this
    }
    asio::awaitable<void> remove_session(std::string hash) override {
        storage_gate();
        std::erase_if(sessions, [&](const session& s) { return s.hash == hash; });
        co_return;
    }
    asio::awaitable<std::size_t> remove_expired_sessions(domain::time_point) override { co_return 0; }
    asio::awaitable<std::int64_t> add_token(domain::api_token t, std::string hash) override {
        storage_gate();
        for (const auto& x : tokens)
            if (x.token.kind == t.kind && x.token.name == t.name && !x.token.revoked_at)
                throw domain::storage_refused("an active token named " + t.name + " exists");
        t.id = ++next_id;
        tokens.push_back({t, hash});
        co_return t.id;
    }
    asio::awaitable<std::optional<token_match>> find_token(std::string) override { co_return std::nullopt; }
    asio::awaitable<std::vector<domain::api_token>> list_tokens(domain::token_kind kind) override {
        storage_gate();
        std::vector<domain::api_token> out;
        for (const auto& t : tokens)
            if (t.token.kind == kind) out.push_back(t.token);
        co_return out;
    }
    asio::awaitable<bool> revoke_token(domain::token_kind kind, std::string name, domain::time_point at) override {
        storage_gate();
        for (auto& t : tokens)
            if (t.token.kind == kind && t.token.name == name && !t.token.revoked_at) {
                t.token.revoked_at = at;
                co_return true;
            }
        co_return false;
    }
    asio::awaitable<void> touch_token(std::int64_t, domain::time_point) override { co_return; }
    asio::awaitable<domain::credential_snapshot> load_credentials(domain::time_point now) override {
        storage_gate();
        domain::credential_snapshot s;
        s.users = users;
        for (const auto& x : sessions)
            if (x.expires > now) s.sessions.push_back({x.hash, x.user, x.expires});
        for (const auto& t : tokens)
            if (!t.token.revoked_at) s.tokens.push_back(t);
        co_return s;
    }
    asio::awaitable<void> append_audit(domain::audit_entry e) override {
        storage_gate();
        if (audit.size() < 1000) audit.push_back(std::move(e));
        co_return;
    }
    asio::awaitable<std::vector<domain::audit_entry>> audit_between(domain::time_point from, domain::time_point to,
                                                                    std::size_t limit) override {
        storage_gate();
        std::vector<domain::audit_entry> out;
        for (const auto& e : audit)
            if (e.at >= from && e.at < to && out.size() < limit) out.push_back(e);
        co_return out;
    }
};

// The users and credentials every input starts from (hashed once).
memory_auth seeded_auth() {
    static const std::string admin_hash = crypto::hash_password("admin-password", crypto::password_cost::minimal);
    static const std::string house_hash = crypto::hash_password("house-password", crypto::password_cost::minimal);
    memory_auth a;
    auto now = domain::clock::now();
    a.users.push_back({1, "admin", domain::role::admin, std::nullopt, admin_hash, now});
    a.users.push_back({2, "house-b", domain::role::household, 'B', house_hash, now});
    a.sessions.push_back({crypto::token_hash("fuzz-session-admin"), 1, now + std::chrono::hours(1)});
    a.sessions.push_back({crypto::token_hash("fuzz-session-household"), 2, now + std::chrono::hours(1)});
    domain::api_token device{10, domain::token_kind::device, "meter", std::nullopt, now, std::nullopt, std::nullopt};
    domain::api_token user{11, domain::token_kind::user, "script", 2, now, std::nullopt, std::nullopt};
    a.tokens.push_back({device, crypto::token_hash("sgd_fuzzdevice")});
    a.tokens.push_back({user, crypto::token_hash("sgu_fuzzuser")});
    return a;
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

// The market's orders, trades and ledger in memory (market_store and
// ledger_store). Only "down" fails them (the market writes rows it checked,
// so a CHECK refusal has nothing to model), and load() always works: after a
// failed commit the market rebuilds at once instead of waiting on a timer
// for a database that stays down until the next request.
void market_gate() {
    if (storage == storage_mode::down) throw domain::storage_unavailable("fuzz: database down");
}

struct memory_market final : domain::market::market_store, domain::market::ledger_store {
    std::vector<domain::market::order_record> orders_;
    std::vector<domain::market::trade_record> trades_;
    std::vector<domain::market::ledger_entry> entries_;
    domain::market::balances balances_;
    std::int64_t version_ = 0;  // the market version (one process here: never a conflict)
    std::optional<domain::market::settle_point> settled_;

    asio::awaitable<std::pair<std::int64_t, std::int64_t>> commit(domain::market::market_batch b) override {
        market_gate();
        if (b.version != version_) throw domain::market::market_conflict();
        ++version_;
        if (b.settled) settled_ = b.settled;
        for (auto& o : b.new_orders) orders_.push_back(o);
        for (auto& o : b.changed_orders)
            for (auto& x : orders_)
                if (x.id == o.id) x = o;
        for (auto& t : b.trades) trades_.push_back(t);
        std::pair<std::int64_t, std::int64_t> ids{0, 0};
        for (auto& d : b.entries) {
            if (domain::market::check(d)) std::abort();  // the market only ever writes balanced entries
            auto e = entries_.empty() ? domain::market::chain(d, std::nullopt) : domain::market::chain(d, entries_.back());
            domain::market::add_postings(balances_, e);
            if (!ids.first) ids.first = e.id;
            ids.second = e.id;
            entries_.push_back(std::move(e));
        }
        co_return ids;
    }
    asio::awaitable<domain::market::market_snapshot> load() override {
        domain::market::market_snapshot s;
        s.version = version_;
        s.settled = settled_;
        for (auto& o : orders_)
            if (o.status == domain::market::record_status::open) s.open_orders.push_back(o);
        s.accounts = balances_;
        s.max_order_id = orders_.empty() ? 0 : orders_.back().id;
        s.max_trade_id = trades_.empty() ? 0 : trades_.back().id;
        s.ledger_head_id = entries_.empty() ? 0 : entries_.back().id;
        co_return s;
    }
    asio::awaitable<std::int64_t> version() override {
        market_gate();
        co_return version_;
    }
    asio::awaitable<std::vector<domain::market::order_record>> orders(std::optional<std::string> household,
                                                                     bool open_only, std::size_t limit) override {
        market_gate();
        std::vector<domain::market::order_record> out;
        for (auto it = orders_.rbegin(); it != orders_.rend() && out.size() < limit; ++it)
            if ((!household || it->household == *household) &&
                (!open_only || it->status == domain::market::record_status::open))
                out.push_back(*it);
        co_return out;
    }
    asio::awaitable<std::optional<domain::market::order_record>> order(std::int64_t id) override {
        market_gate();
        for (auto& o : orders_)
            if (o.id == id) co_return o;
        co_return std::nullopt;
    }
    asio::awaitable<std::vector<domain::market::trade_record>> trades(domain::market::trade_query q) override {
        market_gate();
        std::vector<domain::market::trade_record> out;
        for (auto& t : trades_)
            if (t.at >= q.from && t.at < q.to && (!q.household || t.buyer == *q.household || t.seller == *q.household))
                out.push_back(t);
        co_return out;
    }
    asio::awaitable<std::vector<domain::market::posting_row>> postings(std::string holder, domain::time_point from,
                                                                      domain::time_point to) override {
        market_gate();
        std::vector<domain::market::posting_row> out;
        for (auto& e : entries_)
            for (auto& p : e.postings)
                if (p.account == holder && e.at >= from && e.at < to)
                    out.push_back({e.at, e.kind, e.estimated, p.energy_wh, p.money});
        co_return out;
    }
    asio::awaitable<domain::market::ledger_entry> append(domain::market::ledger_draft d) override {
        // As `solgrid ledger adjust` appends: outside the market's batches
        // (the version stays; the service picks the entry up on its tick).
        market_gate();
        auto e = entries_.empty() ? domain::market::chain(d, std::nullopt) : domain::market::chain(d, entries_.back());
        domain::market::add_postings(balances_, e);
        entries_.push_back(std::move(e));
        co_return entries_.back();
    }
    asio::awaitable<std::vector<domain::market::ledger_entry>> entries_after(std::int64_t after,
                                                                            std::size_t limit) override {
        market_gate();
        std::vector<domain::market::ledger_entry> out;
        for (auto& e : entries_)
            if (e.id > after && out.size() < limit) out.push_back(e);
        co_return out;
    }
    asio::awaitable<domain::market::balances> current_balances() override {
        market_gate();
        co_return balances_;
    }
};

// Every event must be one the clients can read: serialisable JSON.
struct checking_notifier final : domain::notifier {
    void publish(const std::string& event, const boost::json::value& payload) override {
        if (event.empty() || boost::json::serialize(payload).empty()) std::abort();
    }
    void publish_to(const std::vector<std::string>&, const std::string& event,
                    const boost::json::value& payload) override {
        publish(event, payload);
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
    // The market: households A and B hold energy and money, one order rests.
    memory_market market_rows;
    for (auto [h, wh, money] : {std::tuple{"A", 5000, 100000}, std::tuple{"B", 2000, 50000}})
        market_rows.entries_.push_back(domain::market::chain(
            {domain::market::entry_kind::adjustment, now, "fuzz", false, {{h, wh, money}, {"adjustment", -wh, -money}}},
            market_rows.entries_.empty() ? std::nullopt : std::optional(market_rows.entries_.back())));
    market_rows.balances_ = {{"A", {5000, 100000}}, {"B", {2000, 50000}}, {"adjustment", {-7000, -150000}}};
    market_rows.orders_.push_back({1, "A", domain::market::side::sell, 1000, 0, 150, domain::market::time_in_force::gtc,
                                   domain::market::record_status::open, domain::market::end_reason::none, std::nullopt,
                                   now, now});
    domain::market::market_settings market_settings;
    market_settings.update_interval = std::chrono::milliseconds(0);  // no timer left in the io_context
    domain::market::market_service market(market_rows, market_rows, events, market_settings);
    market.set_relays({[&relays] { return relays.current(); }, {}});
    domain::sensor_ingest ingest(readings, relays, &monitor, &market);
    domain::history_service history(store, domain::history_settings{});
    {
        auto warm = [&]() -> asio::awaitable<void> {
            co_await readings.warm_up();
            co_await relays.warm_up();
            co_await market.warm_up();
        };
        asio::co_spawn(ioc, warm(), [](std::exception_ptr e) {
            if (e) std::abort();
        });
        ioc.restart();
        ioc.run();
    }

    // Access control as `serve` wires it with AUTH on (hashing inline here).
    memory_auth auth_rows = seeded_auth();
    domain::auth_settings auth_settings;
    auth_settings.cost = crypto::password_cost::minimal;
    auth_settings.login_burst = 1000000;  // limits on: but an input never waits
    domain::auth_service auth(auth_rows, auth_settings, ioc.get_executor());
    {
        storage = storage_mode::up;
        asio::co_spawn(ioc, auth.reload(), [](std::exception_ptr e) {
            if (e) std::abort();
        });
        ioc.restart();
        ioc.run();
    }
    http_api::access_settings access;
    access.trusted_devices = *common::network_list::parse("192.0.2.0/28");
    http_api::access_control guard(auth, net::cors_policy({"http://127.0.0.1:5000"}), access);

    http_api::router router(net::cors_policy({"http://127.0.0.1:5000"}));
    router.guard([&guard](http_api::request_context& rc, http_api::access a) { return guard.check(rc, a); });
    http_api::api_context api{readings, relays, ingest, 10000.0, "sqlite", [] {
                                  return storage == storage_mode::down
                                             ? std::optional<std::string>("database down")
                                             : std::nullopt;
                              }};
    api.audit = [&auth](const http_api::request_context& rc, std::string action, std::string target,
                        std::string outcome, std::string detail) {
        return auth.audit(rc.who ? rc.who->actor() : "anonymous", rc.address(), std::move(action), std::move(target),
                          std::move(outcome), std::move(detail));
    };
    api.relay_block = [&market](std::size_t i) { return market.relay_block(i); };
    http_api::add_api_routes(router, api);
    http_api::add_auth_routes(router, {&auth, std::chrono::hours(1)});
    http_api::add_device_routes(router, {relays, monitor, nullptr, ""});
    http_api::add_history_routes(router, {history, readings, 10000.0});
    http_api::add_market_routes(router, {market});
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
