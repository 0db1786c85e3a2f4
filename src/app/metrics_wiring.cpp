#include "app/metrics_wiring.hpp"

#include "engineio/session.hpp"

#include <boost/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace solgrid::app {

namespace m = common::metrics;
using samples = std::vector<m::registry::sample>;

namespace {

constexpr const char* solgrid_version = "0.14.0";

// Seconds of CPU (user + system) this process used, from /proc/self/stat.
double process_cpu_seconds() {
    std::ifstream f("/proc/self/stat");
    std::string line;
    if (!std::getline(f, line)) return 0;
    // Fields after the command name (which may hold spaces) start after ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    static const long ticks = ::sysconf(_SC_CLK_TCK);
    return ticks > 0 ? static_cast<double>(utime + stime) / static_cast<double>(ticks) : 0;
}

double process_resident_bytes() {
    std::ifstream f("/proc/self/statm");
    unsigned long long size = 0, resident = 0;
    if (!(f >> size >> resident)) return 0;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double process_open_fds() {
    std::error_code ec;
    double n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
}

double process_max_fds() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
    return static_cast<double>(rl.rlim_cur);
}

double unix_seconds_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr std::array<std::pair<engineio::close_reason, const char*>, engineio::stats::reasons> close_reasons{{
    {engineio::close_reason::transport_close, "transport_close"},
    {engineio::close_reason::transport_error, "transport_error"},
    {engineio::close_reason::ping_timeout, "ping_timeout"},
    {engineio::close_reason::forced_close, "client_close"},
    {engineio::close_reason::server_close, "server_close"},
    {engineio::close_reason::parse_error, "parse_error"},
    {engineio::close_reason::slow_client, "slow_client"},
    {engineio::close_reason::server_shutdown, "server_shutdown"},
}};

void register_process(m::registry& r) {
    const double started = unix_seconds_now();
    r.add_callback_gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
                         [started] { return started; });
    r.add_callback(m::kind::counter, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                   {}, [] { return samples{{{}, process_cpu_seconds()}}; });
    r.add_callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process_resident_bytes);
    r.add_callback_gauge("process_open_fds", "Number of open file descriptors.", process_open_fds);
    r.add_callback_gauge("process_max_fds", "Maximum number of open file descriptors.", process_max_fds);
}

void register_http(m::registry& r, const metric_sources& s, http_api::router& router) {
    auto& requests = r.add_counter("solgrid_http_requests_total", "HTTP requests answered, by method, route and status.",
                                   {"method", "route", "status"});
    auto& durations = r.add_histogram("solgrid_http_request_duration_seconds",
                                      "Time from a parsed request to its answer, by method and route.",
                                      {"method", "route"});
    router.observe([&requests, &durations](std::string_view method, std::string_view route, unsigned status,
                                           double seconds) {
        std::string mth(method), rt(route);
        requests.with({mth, rt, std::to_string(status)}).inc();
        durations.with({std::move(mth), std::move(rt)}).observe(seconds);
    });
    auto listener = s.listener;
    r.add_callback_gauge("solgrid_http_connections_open",
                         "Client connections open now, upgraded WebSockets included (the MAX_CONNECTIONS count).",
                         [listener] {
                             auto* l = listener();
                             return l ? static_cast<double>(l->client_connections()) : 0.0;
                         });
    r.add_callback_gauge("solgrid_http_connections_max", "MAX_CONNECTIONS (0: no limit).",
                         [max = s.cfg.max_connections] { return static_cast<double>(max); });
    r.add_callback(m::kind::counter, "solgrid_http_connections_total",
                   "Client connections since start, by result (accepted, or refused over MAX_CONNECTIONS).", {"result"},
                   [listener] {
                       auto* l = listener();
                       if (!l) return samples{};
                       return samples{{{"accepted"}, static_cast<double>(l->accepted_connections())},
                                      {{"refused"}, static_cast<double>(l->refused_connections())}};
                   });
}

void register_realtime(m::registry& r, const metric_sources& s) {
    auto* live = &s.live;
    const auto& eio = live->engine().counters();
    r.add_callback(m::kind::gauge, "solgrid_engineio_sessions", "Open Engine.IO sessions, by current transport.",
                   {"transport"}, [live] {
                       auto [polling, websocket] = live->engine().sessions_by_transport();
                       return samples{{{"polling"}, static_cast<double>(polling)},
                                      {{"websocket"}, static_cast<double>(websocket)}};
                   });
    r.add_callback(m::kind::counter, "solgrid_engineio_sessions_opened_total", "Engine.IO sessions opened.", {},
                   [&eio] { return samples{{{}, static_cast<double>(eio.sessions_opened.load())}}; });
    r.add_callback(m::kind::counter, "solgrid_engineio_disconnects_total", "Engine.IO sessions closed, by reason.",
                   {"reason"}, [&eio] {
                       samples out;
                       for (const auto& [reason, name] : close_reasons)
                           out.push_back({{name}, static_cast<double>(eio.closed_by_reason[static_cast<std::size_t>(reason)].load())});
                       return out;
                   });
    r.add_callback(m::kind::counter, "solgrid_engineio_slow_client_disconnects_total",
                   "Clients closed because their send queue overflowed (MAX_QUEUED_PACKETS).", {}, [&eio] {
                       auto i = static_cast<std::size_t>(engineio::close_reason::slow_client);
                       return samples{{{}, static_cast<double>(eio.closed_by_reason[i].load())}};
                   });
    r.add_callback(m::kind::counter, "solgrid_engineio_queue_drops_total",
                   "Packets discarded with a slow client's overflowing queue.", {},
                   [&eio] { return samples{{{}, static_cast<double>(eio.queue_drops.load())}}; });
    r.add_callback(m::kind::counter, "solgrid_engineio_packets_sent_total",
                   "Engine.IO message packets handed to clients' transports (one per recipient).", {},
                   [&eio] { return samples{{{}, static_cast<double>(eio.packets_sent.load())}}; });
    r.add_callback(m::kind::counter, "solgrid_engineio_bytes_sent_total",
                   "Bytes of those packets (Engine.IO encoding, before WebSocket or polling framing).", {},
                   [&eio] { return samples{{{}, static_cast<double>(eio.bytes_sent.load())}}; });
    r.add_callback(m::kind::gauge, "solgrid_socketio_clients", "Connected Socket.IO sockets, by namespace.",
                   {"namespace"}, [live] {
                       samples out;
                       for (auto& [name, n] : live->sockets().sockets_by_namespace())
                           out.push_back({{name}, static_cast<double>(n)});
                       return out;
                   });
    if (const auto* c = live->cluster()) {
        r.add_callback_gauge("solgrid_redis_connected",
                             "1 while the Redis adapter's connections are up (REDIS_URL), else 0.",
                             [c] { return c->connected() ? 1.0 : 0.0; });
        auto counter = [&r, c](std::string name, std::string help, std::uint64_t redis::streams_adapter::counters::*f) {
            r.add_callback(m::kind::counter, std::move(name), std::move(help), {},
                           [c, f] { return samples{{{}, static_cast<double>(c->stats().*f)}}; });
        };
        counter("solgrid_redis_published_total", "Broadcasts written to the Redis stream.",
                &redis::streams_adapter::counters::published);
        counter("solgrid_redis_publish_failures_total",
                "Broadcasts Redis did not take (down or refused): delivered to this instance's clients only.",
                &redis::streams_adapter::counters::publish_failures);
        counter("solgrid_redis_received_total", "Entries of other servers applied from the Redis stream.",
                &redis::streams_adapter::counters::received);
        counter("solgrid_redis_malformed_total", "Redis stream entries skipped as unreadable.",
                &redis::streams_adapter::counters::malformed);
        counter("solgrid_redis_sessions_stored_total", "Recovery sessions written to Redis.",
                &redis::streams_adapter::counters::sessions_stored);
        counter("solgrid_redis_sessions_restored_total", "Clients recovered from a session found in Redis.",
                &redis::streams_adapter::counters::sessions_restored);
    }
    live->count_events(r.add_counter("solgrid_socketio_events_emitted_total",
                                     "Server events emitted to Socket.IO clients (one per broadcast), by event.",
                                     {"event"}));
}

void register_domain(m::registry& r, const metric_sources& s) {
    auto* readings = &s.readings;
    r.add_callback(m::kind::counter, "solgrid_readings_stored_total", "Sensor readings stored.", {},
                   [readings] { return samples{{{}, static_cast<double>(readings->stored_count())}}; });
    auto* db = &s.db;
    r.add_histogram_view("solgrid_db_commit_duration_seconds",
                         "Write transactions from BEGIN to the end of COMMIT (a group commit is one).",
                         db->writes().commit_seconds);
    r.add_callback(m::kind::counter, "solgrid_db_writes_total",
                   "Write jobs, by result (committed, or failed: the caller got an error).", {"result"}, [db] {
                       return samples{{{"committed"}, static_cast<double>(db->writes().jobs_committed.load())},
                                      {{"failed"}, static_cast<double>(db->writes().jobs_failed.load())}};
                   });
    r.add_callback_gauge("solgrid_db_up", "1 while the database answers, 0 while it does not.",
                         [db] { return db->healthy() ? 1.0 : 0.0; });

    r.add_callback_gauge("solgrid_aggregation_leader",
                         "1 while this instance holds the lease to run the hourly roll-up and retention.",
                         [leader = s.aggregation_leader] { return leader && leader() ? 1.0 : 0.0; });
    auto* device = &s.device;
    r.add_callback_gauge("solgrid_device_online", "1 while the Arduino is posting readings, else 0.",
                         [device] { return device->monitor().online() ? 1.0 : 0.0; });
    r.add_callback(m::kind::gauge, "solgrid_device_last_seen_age_seconds",
                   "Seconds since the Arduino last posted (absent before its first post).", {}, [device] {
                       auto o = device->monitor().status_json();
                       const auto* v = o.if_contains("seconds_since_seen");
                       if (!v || !v->is_number()) return samples{};
                       return samples{{{}, v->to_number<double>()}};
                   });
    auto* relays = &s.relays;
    r.add_callback(m::kind::counter, "solgrid_relay_commands_total",
                   "Relay command attempts to the device, by outcome (delivered, failed; given_up: a command "
                   "that ran out of retries).",
                   {"outcome"}, [relays] {
                       auto o = relays->outcomes();
                       return samples{{{"delivered"}, static_cast<double>(o.delivered)},
                                      {{"failed"}, static_cast<double>(o.failed_attempts)},
                                      {{"given_up"}, static_cast<double>(o.given_up)}};
                   });
    r.add_callback(m::kind::gauge, "solgrid_relay_on", "Desired relay state by household (1 on, 0 off).",
                   {"household"}, [relays] {
                       auto st = relays->current();
                       samples out;
                       for (std::size_t i = 0; i < st.on.size(); ++i)
                           out.push_back({{std::string(1, domain::household_names[i])}, st.on[i] ? 1.0 : 0.0});
                       return out;
                   });

    if (const auto* mq = s.device.mqtt()) {
        r.add_callback_gauge("solgrid_mqtt_connected", "1 while connected to the MQTT broker (MQTT_URL).",
                             [mq] { return mq->connected() ? 1.0 : 0.0; });
        r.add_callback(m::kind::counter, "solgrid_mqtt_messages_total",
                       "Inbound MQTT messages, by result (handled; refused: bad topic or payload; dropped: the "
                       "inbound queue was full).",
                       {"result"}, [mq] {
                           auto refused = mq->refused();  // first: refused <= handled at any time
                           auto handled = mq->handled();
                           return samples{{{"handled"}, static_cast<double>(handled - refused)},
                                          {{"refused"}, static_cast<double>(refused)},
                                          {{"dropped"}, static_cast<double>(mq->dropped())}};
                       });
    }
    auto* market = &s.market;
    r.add_callback(m::kind::counter, "solgrid_market_orders_total",
                   "Market orders, by outcome (accepted, refused, cancelled by their owner).", {"outcome"}, [market] {
                       auto a = market->stats();
                       return samples{{{"accepted"}, static_cast<double>(a.orders_accepted)},
                                      {{"refused"}, static_cast<double>(a.orders_refused)},
                                      {{"cancelled"}, static_cast<double>(a.orders_cancelled)}};
                   });
    r.add_callback(m::kind::counter, "solgrid_market_trades_total", "Trades matched.", {},
                   [market] { return samples{{{}, static_cast<double>(market->stats().trades)}}; });
    r.add_callback_gauge("solgrid_market_open_orders", "Orders resting in the book now.",
                         [market] { return static_cast<double>(market->stats().open_orders); });
}

}  // namespace

void register_metrics(m::registry& r, const metric_sources& s, http_api::router& router) {
    r.add_callback(m::kind::gauge, "solgrid_build_info", "Always 1; the labels say what is running.",
                   {"version", "compiler", "storage"},
                   [storage = std::string(s.cfg.uses_mysql() ? "mysql" : "sqlite")] {
                       return samples{{{solgrid_version, __VERSION__, storage}, 1.0}};
                   });
    register_process(r);
    register_http(r, s, router);
    register_realtime(r, s);
    register_domain(r, s);
}

void add_metrics_route(http_api::router& router, const m::registry& r, bool metrics_public) {
    router.add(
        http_api::http::verb::get, "/metrics",
        [&r](http_api::request_context& rc) -> boost::asio::awaitable<net::response> {
            net::response res{http_api::http::status::ok, rc.req.version()};
            res.set(http_api::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            res.set(http_api::http::field::cache_control, "no-store");
            res.body() = r.render();
            res.prepare_payload();
            co_return res;
        },
        metrics_public ? http_api::access::open : http_api::access::read);
}

}  // namespace solgrid::app
