// Typed configuration of solgrid, read once at start-up: `.env` in the working
// directory, then the process environment, then command-line flags (later
// wins). Built on the main thread before anything runs; read-only afterwards,
// so any thread may read it. A bad value throws config_error naming the
// variable; nothing starts with a config it cannot honour.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <array>
#include <functional>
#include <string>
#include <vector>

namespace solgrid::config {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using variables = std::map<std::string, std::string>;

struct engineio_settings {
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::chrono::milliseconds connect_timeout{45000};
    std::size_t max_payload = 1000000;
    std::chrono::milliseconds recovery_window{120000};  // 0 disables recovery
    std::size_t max_queued_packets = 4096;               // per connection
    bool allow_eio3 = true;  // ALLOW_EIO3: legacy Engine.IO v3 / socket.io-client 2.x clients
};

struct config {
    // network
    std::string host = "0.0.0.0";
    std::uint16_t port = 5000;
    int threads = 0;  // 0: one per core
    // CORS_ORIGINS: "*" or exact origins. Unset: only the served origin
    // (the request's own scheme://Host) with AUTH on, "*" with AUTH=off.
    std::vector<std::string> cors_origins;
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::seconds http_read_timeout{30};
    std::chrono::seconds shutdown_grace{10};
    std::string frontend_dir;  // empty: frontend/dist if present

    // storage
    std::string db_path = "data/solgrid.db";
    std::string db_host;  // non-empty selects MySQL/MariaDB
    std::uint16_t db_port = 3306;
    std::string db_user;
    std::string db_password;
    std::string db_database = "solar_ess";
    int db_pool_size = 4;
    std::chrono::seconds db_connect_timeout{5};  // MySQL connect
    std::chrono::seconds db_query_timeout{30};   // MySQL network read/write
    std::chrono::seconds db_start_retry{30};     // DB_START_RETRY_S: keep trying an unreachable MySQL at start
    // DB_SYNC: SQLite's synchronous mode. full (default): a 201 survives a
    // power cut or OS crash; normal: only a crash of solgrid itself.
    enum class sync_mode { full, normal } db_sync = sync_mode::full;

    // history: hourly roll-up, retention, queries
    std::chrono::seconds aggregate_max_gap{300};  // gaps up to this are always bridged when integrating
    std::chrono::seconds aggregate_bridge_max{7200};  // AGGREGATE_BRIDGE_MAX_S: never bridged beyond this
    int raw_retention_days = 7;                   // 0 keeps raw readings forever
    std::chrono::seconds lease_ttl{300};  // LEASE_TTL_S: a dead roll-up instance is replaced after this
    std::size_t history_max_rows = 50000;         // rows per history response
    int utc_offset_hours = 0;                     // where a day starts (day rows, "today")

    // device and energy
    std::string arduino_url;
    double battery_capacity_wh = 10000.0;
    double solar_w_max = 1000000.0;  // SOLAR_W_MAX: a reading above this is refused (400)
    double lux_max = 200000.0;       // LUX_MAX: likewise
    std::chrono::milliseconds device_interval{2000};  // DEVICE_INTERVAL_S: how often the Arduino posts
    int device_offline_after = 3;                     // DEVICE_OFFLINE_AFTER: missed intervals → offline
    std::chrono::milliseconds device_timeout{2000};   // DEVICE_TIMEOUT_MS: one relay command / probe
    int device_retries = 4;                           // DEVICE_RETRIES: attempts per relay command
    std::chrono::milliseconds device_backoff{250};    // DEVICE_BACKOFF_MS: first retry delay (doubles)

    // MQTT (issue 14; docs/mqtt.md). MQTT_URL empty: off.
    std::string mqtt_url;             // MQTT_URL: mqtt://host[:1883] or mqtts://host[:8883]
    std::string mqtt_host;            // parsed from MQTT_URL
    int mqtt_port = 0;
    bool mqtt_tls = false;            // mqtts://
    std::string mqtt_username;        // MQTT_USERNAME / MQTT_PASSWORD
    std::string mqtt_password;
    std::string mqtt_ca_file;         // MQTT_CA_FILE: mqtts trust anchors; empty = the system CAs
    std::string mqtt_device;          // MQTT_DEVICE: relay commands go to this device only (else every device seen)
    std::string site_id = "default";  // SITE_ID: solgrid/<site>/... ([A-Za-z0-9_-]{1,64})
    bool mqtt_discovery = true;       // MQTT_DISCOVERY: Home Assistant discovery configs
    std::string mqtt_discovery_prefix = "homeassistant";  // MQTT_DISCOVERY_PREFIX

    // REDIS_URL (issue 15, docs/scale-out.md): redis://[user:password@]host[:port][/db];
    // set, Socket.IO broadcasts and recovery sessions go through that Redis in
    // @socket.io/redis-streams-adapter's format; empty: one instance alone.
    std::string redis_url;
    std::string redis_stream = "socket.io";  // REDIS_STREAM: the adapter's streamName
    std::size_t redis_stream_maxlen = 10000;  // REDIS_STREAM_MAXLEN: XADD MAXLEN ~ (the adapter's maxLen)

    std::string log_level = "info";
    bool log_json = false;    // LOG_FORMAT=text|json: json is one object per line (docs/logging-and-limits.md)
    std::string log_file;     // LOG_FILE: append here instead of stderr; reopened on SIGHUP
    int max_connections = 0;  // MAX_CONNECTIONS: open client connections at once, beyond → 503; 0 = no limit

    // access control (issue 12)
    bool auth_enabled = true;           // AUTH=on|off; off = the seed's open behaviour, for lab demos
    bool public_read = false;           // PUBLIC_READ: GET routes without credentials
    bool metrics_public = false;        // METRICS_PUBLIC: GET /metrics without credentials (AUTH on)
    std::string device_trusted_networks = "127.0.0.1/32,::1/128";  // may POST readings without a token
    // TRUSTED_PROXIES: CIDR list of reverse proxies whose X-Forwarded-For /
    // -Proto are believed (net/forwarded.hpp, docs/operations.md); empty: none.
    std::string trusted_proxies;
    std::chrono::hours session_ttl{168};                           // SESSION_TTL_H
    std::string admin_password;         // ADMIN_PASSWORD: the first admin's, when no user exists
    int login_max_failures = 5;         // LOGIN_MAX_FAILURES per user or address within the window → 429
    std::chrono::seconds login_failure_window{900};  // LOGIN_FAILURE_WINDOW_S
    double login_rate = 1.0;            // LOGIN_RATE: login attempts per second per address (token bucket)
    int login_burst = 10;               // LOGIN_BURST
    double ingest_rate = 5.0;           // INGEST_RATE: sensor POSTs per second per device token / address
    int ingest_burst = 20;              // INGEST_BURST
    std::string tls_cert_file;          // TLS_CERT_FILE + TLS_KEY_FILE: HTTPS/WSS on PORT
    std::string tls_key_file;
    bool tls() const { return !tls_cert_file.empty(); }

    // the market (issue 13; docs/market.md)
    std::map<std::string, int> market_shares{{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}};  // MARKET_SHARES
    std::string market_currency = "KRW";          // MARKET_CURRENCY (ISO 4217)
    long long market_price_floor = 1;             // MARKET_PRICE_FLOOR, minor units per kWh
    long long market_price_ceiling = 1000;        // MARKET_PRICE_CEILING
    long long market_credit_limit = 0;            // MARKET_CREDIT_LIMIT: a buyer's money may go this far below 0
    long long market_pool_price_at_empty = 400;   // MARKET_POOL_PRICE_AT_EMPTY (-1: off)
    long long market_pool_price_at_full = 100;    // MARKET_POOL_PRICE_AT_FULL (-1: off)
    int soc_floor = 10;                           // SOC_FLOOR %: every relay off at or below (with enforcement)
    bool market_enforce = true;                   // MARKET_ENFORCE=on|off; default on, off with AUTH=off
    std::array<bool, 4> market_exempt{};          // MARKET_EXEMPT: households never switched off for balance
    std::array<double, 4> household_nominal_w{500, 500, 500, 500};  // HOUSEHOLD_NOMINAL_W

    engineio_settings engineio;

    bool uses_mysql() const { return !db_host.empty(); }
};

// KEY=VALUE lines; `#` comments, blank lines, optional `export `, single or
// double quotes around the value. Throws config_error on a malformed line.
variables parse_dotenv(const std::string& text);

// Reads `path` if it exists (a missing file is not an error).
variables read_dotenv_file(const std::string& path);

// The process environment, restricted to the names solgrid knows.
variables read_environment();

// Every variable solgrid reads, for validation and for `.env.example`.
const std::vector<std::string>& known_variables();

// The MARKET_*, SOC_FLOOR and HOUSEHOLD_NOMINAL_W part of from_variables
// (after AUTH is read: enforcement defaults to AUTH).
void market_from(config& c, const std::function<const std::string*(const char*)>& get);

// Builds and validates the typed config; unknown names are ignored.
config from_variables(const variables& vars);

// `.env` (if present) + environment + `overrides` (flags), validated.
config load(const std::string& dotenv_path, const variables& overrides);

}  // namespace solgrid::config
