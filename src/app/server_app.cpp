#include "app/server_app.hpp"

#include "app/admin_cli.hpp"
#include "app/aggregation_scheduler.hpp"
#include "app/fanout_notifier.hpp"
#include "app/logging.hpp"
#include "app/realtime.hpp"
#include "app/systemd_notify.hpp"
#include "app/device_link.hpp"
#include "app/metrics_wiring.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "crypto/secrets.hpp"
#include "domain/auth_service.hpp"
#include "http/access.hpp"
#include "http/api_routes.hpp"
#include "http/auth_routes.hpp"
#include "http/history_routes.hpp"
#include "http/market_routes.hpp"
#include "http/static_files.hpp"
#include "net/http_server.hpp"
#include "net/tls_context.hpp"
#include "storage/database.hpp"
#include "storage/sql_auth_store.hpp"
#include "storage/sql_history_store.hpp"
#include "storage/sql_lease_store.hpp"
#include "storage/sql_ledger_store.hpp"
#include "storage/sql_market_store.hpp"
#include "domain/market/settlement.hpp"
#include "storage/sql_stores.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <atomic>

#include <filesystem>
#include <iostream>
#include <thread>

namespace solgrid::app {

namespace asio = boost::asio;

void raise_fd_limit() {
    // Each client is a file descriptor: aim for 200,000 (root may raise the
    // hard limit too), else settle for the hard limit as it is.
    constexpr rlim_t wanted = 200000;
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= wanted) return;
    rlimit more{wanted, std::max(lim.rlim_max, wanted)};
    if (setrlimit(RLIMIT_NOFILE, &more) == 0) return;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) spdlog::warn("could not raise the open-file limit");
    else if (lim.rlim_cur < 65536) spdlog::info("open-file limit {}: at most that many clients", lim.rlim_cur);
}

namespace {

void watch_hangups(asio::signal_set& signals) {
    signals.async_wait([&signals](const boost::system::error_code& ec, int) {
        if (ec) return;
        reopen_log_file();
        watch_hangups(signals);
    });
}

}  // namespace

storage::database_options database_options_from(const config::config& cfg) {
    storage::database_options o;
    o.connect_timeout = cfg.db_connect_timeout;
    o.query_timeout = cfg.db_query_timeout;
    o.start_retry = cfg.db_start_retry;
    o.sqlite_sync = cfg.db_sync == config::config::sync_mode::normal ? storage::database_options::sync_mode::normal
                                                                      : storage::database_options::sync_mode::full;
    if (cfg.uses_mysql()) {
        o.kind = storage::dialect::mysql;
        o.mysql_host = cfg.db_host;
        o.mysql_port = cfg.db_port;
        o.mysql_user = cfg.db_user;
        o.mysql_password = cfg.db_password;
        o.mysql_database = cfg.db_database;
        o.readers = cfg.db_pool_size;
    } else {
        o.kind = storage::dialect::sqlite;
        o.sqlite_path = cfg.db_path;
        o.readers = 2;
    }
    return o;
}

namespace {

// FRONTEND_DIR wins; then frontend/dist under the working directory (a
// checkout); then <prefix>/share/solgrid/www next to the installed binary
// (<prefix>/bin/solgrid, `make install`). The checkout path is returned when
// none exists, for the warning.
std::filesystem::path frontend_root(const config::config& cfg) {
    if (!cfg.frontend_dir.empty()) return cfg.frontend_dir;
    std::filesystem::path checkout = "frontend/dist";
    std::error_code ec;
    if (std::filesystem::is_directory(checkout, ec)) return checkout;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = exe.parent_path().parent_path() / "share" / "solgrid" / "www";
        if (std::filesystem::is_directory(installed, ec)) return installed;
    }
    return checkout;
}

// Reloads the credential snapshot every 2 s (changes made by `solgrid user`
// / `device` in another process, expired sessions) until the io_context stops.
asio::awaitable<void> reload_credentials(domain::auth_service& auth) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (unsigned round = 1;; ++round) {
        timer.expires_after(std::chrono::seconds(2));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        try {
            co_await auth.reload();
            if (round % 1800 == 0) co_await auth.purge_expired_sessions();  // hourly
        } catch (const std::exception& e) {
            // The database is away: keep the last snapshot, try again.
            spdlog::debug("credentials not reloaded: {}", e.what());
        }
    }
}

net::cors_policy cors_from(const config::config& cfg) { return net::cors_policy(cfg.cors_origins); }

domain::market::market_settings market_settings_from(const config::config& cfg) {
    domain::market::market_settings m;
    m.currency = cfg.market_currency;
    m.price_floor = cfg.market_price_floor;
    m.price_ceiling = cfg.market_price_ceiling;
    m.credit_limit = cfg.market_credit_limit;
    m.shares = cfg.market_shares;
    if (cfg.market_pool_price_at_empty >= 0 && cfg.market_pool_price_at_full >= 0)
        m.pool_prices = std::make_pair(cfg.market_pool_price_at_empty, cfg.market_pool_price_at_full);
    m.enforce = cfg.market_enforce;
    m.exempt = cfg.market_exempt;
    m.soc_floor = cfg.soc_floor;
    m.private_rooms = cfg.auth_enabled;
    return m;
}

asio::awaitable<void> switch_relays(domain::relay_service& relays, domain::relay_patch p, std::string reason) {
    auto op = relays.update(std::move(p), std::move(reason));
    co_await std::move(op);
}

// Expires orders and picks up `solgrid ledger adjust` entries every 2 s.
asio::awaitable<void> market_ticks(domain::market::market_service& market) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::seconds(2));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        co_await market.tick();
    }
}

}  // namespace

int run_server(const config::config& cfg) {
    raise_fd_limit();
    storage::database db(database_options_from(cfg));
    storage::sql_reading_store reading_store(db);
    storage::sql_relay_store relay_store(db);
    fanout_notifier events;
    domain::readings_service readings(reading_store, events);
    domain::relay_service relays(relay_store, events);
    storage::sql_history_store history_store(db);
    domain::history_service history(history_store, history_settings_from(cfg));
    // Access control (AUTH on): users, sessions and tokens in the database,
    // Argon2id hashing on a pool of its own (64 MiB each: two at a time).
    crypto::init();
    std::unique_ptr<storage::sql_auth_store> auth_store;
    std::unique_ptr<asio::thread_pool> hashing;
    std::unique_ptr<domain::auth_service> auth;
    if (cfg.auth_enabled) {
        auth_store = std::make_unique<storage::sql_auth_store>(db);
        ensure_first_admin(*auth_store, cfg, std::cout);  // no user yet: create `admin`
        hashing = std::make_unique<asio::thread_pool>(2);
        domain::auth_settings as;
        as.session_ttl = cfg.session_ttl;
        as.max_failures = cfg.login_max_failures;
        as.failure_window = cfg.login_failure_window;
        as.login_rate = cfg.login_rate;
        as.login_burst = cfg.login_burst;
        auth = std::make_unique<domain::auth_service>(*auth_store, as, hashing->get_executor());
    } else {
        spdlog::warn("AUTH=off: access control is OFF — anyone who can reach this server can switch relays, post "
                     "readings and read everything (lab demos only)");
    }

    int threads = cfg.threads > 0 ? cfg.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    asio::io_context ioc(threads);
    device_link device(cfg, ioc, relays, events);  // health, relay commands to ARDUINO_URL
    // The market (issue 13): book, balances, settlement, relay enforcement.
    storage::sql_market_store market_store(db);
    storage::sql_ledger_store ledger_store(db);
    domain::market::market_service market(market_store, ledger_store, events, market_settings_from(cfg));
    market.set_relays({[&relays] { return relays.current(); },
                       [&relays](domain::relay_patch p, std::string reason) {
                           return switch_relays(relays, std::move(p), std::move(reason));
                       }});
    {
        // Solar credited by share, consumption debited (metered or estimated),
        // in reading order under the market's lock (docs/market.md).
        domain::market::settlement_config sc;
        sc.shares = cfg.market_shares;
        sc.battery_capacity_wh = cfg.battery_capacity_wh;
        sc.max_gap = cfg.aggregate_max_gap;
        sc.nominal_w = cfg.household_nominal_w;
        market.set_settlement(sc);  // settles each stored reading from the newest settled by any instance
    }
    domain::sensor_ingest ingest(readings, relays, &device.monitor(), &market);  // POST /api/data/solar

    // Load the current state before the first request can ask for it.
    {
        auto warm = asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await readings.warm_up();
                co_await relays.warm_up();
                if (auth) co_await auth->reload();
                co_await market.warm_up();
                // The newest stored reading is the settlement's baseline: the
                // first reading after a restart settles the interval since it.
                if (auto last = readings.latest()) market.on_reading(last->at, last->value, {});
            },
            asio::use_future);
        ioc.run();
        ioc.restart();
        warm.get();
    }

    app::realtime live(ioc, cfg, events);
    if (auth) live.require_auth(*auth, cfg.public_read);

    const net::http_server* listener = nullptr;  // set once it exists: /healthz reads its connection count
    http_api::router router(cors_from(cfg));
    std::unique_ptr<http_api::access_control> guard;
    if (auth) {
        http_api::access_settings access;
        access.public_read = cfg.public_read;
        access.trusted_devices = *common::network_list::parse(cfg.device_trusted_networks);  // checked by config
        access.ingest_rate = cfg.ingest_rate;
        access.ingest_burst = cfg.ingest_burst;
        guard = std::make_unique<http_api::access_control>(*auth, cors_from(cfg), access);
        router.guard([g = guard.get()](http_api::request_context& rc, http_api::access a) { return g->check(rc, a); });
    }
    router.mount(live.engine().path(), [&live](http_api::request_context& rc) {
        return live.engine().handle_http(rc.req, rc.info);
    });
    storage::sql_lease_store leases(db);  // aggregate_old_data on one instance at a time (docs/run-once.md)
    aggregation_scheduler aggregation(ioc.get_executor(), history, leases, instance_id(), cfg.lease_ttl);
    std::atomic<bool> shutting_down{false};  // /readyz answers 503 once a signal arrived
    http_api::api_context api{readings, relays, ingest, cfg.battery_capacity_wh,
                              cfg.uses_mysql() ? "mysql" : "sqlite", [&db] { return db.problem(); },
                              [&live, &listener, &aggregation] {
                                  auto o = live.stats();
                                  if (listener) o["connections"] = {{"open", listener->client_connections()}};
                                  o["aggregation"] = aggregation.health();
                                  return o;
                              }};
    api.limits = {cfg.solar_w_max, cfg.lux_max};
    if (auth)
        api.audit = [a = auth.get()](const http_api::request_context& rc, std::string action, std::string target,
                                     std::string outcome, std::string detail) {
            return a->audit(rc.who ? rc.who->actor() : "anonymous", rc.address(), std::move(action),
                            std::move(target), std::move(outcome), std::move(detail));
        };
    api.shutting_down = [&shutting_down] { return shutting_down.load(); };
    api.relay_block = [&market](std::size_t i) { return market.relay_block(i); };
    {
        // MQTT_URL: telemetry, relays and Home Assistant over MQTT (docs/mqtt.md).
        mqtt::bridge_context mq{readings, relays, ingest, device.monitor(), api.relay_block, {}};
        if (auth)
            mq.audit = [a = auth.get(), broker = cfg.mqtt_host](std::string target, std::string outcome,
                                                                 std::string detail) {
                return a->audit("mqtt", broker, "relay.update", std::move(target), std::move(outcome), std::move(detail));
            };
        device.attach_mqtt(cfg, events, std::move(mq));
    }
    http_api::add_api_routes(router, api);
    http_api::add_market_routes(router, {market, std::chrono::hours(cfg.utc_offset_hours)});
    http_api::add_auth_routes(router, {auth.get(), cfg.session_ttl, cfg.public_read});
    device.add_routes(router);
    http_api::add_history_routes(router, {history, readings, cfg.battery_capacity_wh});
    common::metrics::registry metrics;  // GET /metrics
    register_metrics(metrics,
                     {cfg, db, readings, relays, market, device, live, [&listener] { return listener; },
                      [&aggregation] { return aggregation.health().at("leader").as_bool(); }},
                     router);
    add_metrics_route(router, metrics, cfg.metrics_public);

    auto frontend = std::make_shared<http_api::static_files>(frontend_root(cfg));
    if (frontend->available()) {
        spdlog::info("serving the dashboard from {}", frontend_root(cfg).string());
        router.fallback([frontend](http_api::request_context& rc) -> asio::awaitable<net::response> {
            co_return frontend->serve(rc.req, rc.path);
        });
    } else
        spdlog::warn("no built frontend at {} (run `make frontend`); serving the API only",
                     frontend_root(cfg).string());

    net::handlers handlers;
    handlers.http = [&router](net::request& req, const net::request_info& info) {
        return router.dispatch(req, info);
    };
    handlers.wants_upgrade = [&live](const net::request& req) { return live.engine().matches(req.target()); };
    handlers.upgrade = [&live](net::beast::tcp_stream stream, net::request req, net::request_info info) {
        return live.engine().handle_upgrade(std::move(stream), std::move(req), info);
    };
    net::server_options sopts;
    sopts.host = cfg.host;
    sopts.port = cfg.port;
    sopts.body_limit = cfg.max_body_bytes;
    sopts.read_timeout = cfg.http_read_timeout;
    if (cfg.tls()) sopts.tls = net::load_tls_context(cfg.tls_cert_file, cfg.tls_key_file);  // HTTPS + WSS on PORT
    sopts.max_connections = static_cast<std::size_t>(cfg.max_connections);
    sopts.trusted_proxies = *common::network_list::parse(cfg.trusted_proxies);  // checked by config
    net::http_server server(ioc, sopts, handlers);
    listener = &server;
    server.start();
    live.start_cluster();  // REDIS_URL: the Redis adapter (docs/scale-out.md)
    device.start();
    aggregation.start();  // aggregate_old_data, hourly
    if (auth) asio::co_spawn(ioc, reload_credentials(*auth), asio::detached);
    asio::co_spawn(ioc, market_ticks(market), asio::detached);
    spdlog::info("solgrid listening on {}://{}:{} ({} threads, storage {}, auth {})", cfg.tls() ? "https" : "http",
                 cfg.host, server.port(), threads,
                 cfg.uses_mysql() ? "mysql://" + cfg.db_host + "/" + cfg.db_database : "sqlite:" + cfg.db_path,
                 cfg.auth_enabled ? "on" : "OFF");

    if (!cfg.trusted_proxies.empty())
        spdlog::info("X-Forwarded-For and X-Forwarded-Proto are believed from TRUSTED_PROXIES={}", cfg.trusted_proxies);

    // systemd (Type=notify): the schema is migrated and the listener is up.
    systemd_notify_ready("listening on port " + std::to_string(server.port()));
    if (auto every = systemd_watchdog_interval(); every.count() > 0) {
        spdlog::info("systemd watchdog: WATCHDOG=1 every {} ms", every.count() / 1000);
        asio::co_spawn(ioc, systemd_watchdog_pings(every), asio::detached);
    }

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: shutting down", sig);
        shutting_down = true;  // /readyz: 503 from now on, while in-flight requests drain
        systemd_notify_stopping("shutting down");
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                device.stop();
                live.engine().close_all(engineio::close_reason::server_shutdown);
                co_await live.shutdown_cluster();  // the dropped clients' sessions, then goodbye
                co_await aggregation.shutdown();  // another instance takes the roll-up over at once
                co_await server.shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.shutdown_grace));
                ioc.stop();
            },
            asio::detached);
    });

    asio::signal_set hangups(ioc, SIGHUP);  // logrotate renamed LOG_FILE: write to a fresh one
    watch_hangups(hangups);

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    if (hashing) hashing->join();
    db.close();
    spdlog::info("solgrid stopped");
    return 0;
}

}  // namespace solgrid::app
