#include "config/config.hpp"

#include "common/cidr.hpp"
#include "domain/market/settlement.hpp"
#include "redis/url.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace solgrid::config {
namespace {

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

[[noreturn]] void fail(const std::string& name, const std::string& why, const std::string& value) {
    throw config_error(name + ": " + why + " (got '" + value + "')");
}

long long parse_int(const std::string& name, const std::string& v, long long lo, long long hi) {
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(v, &used, 10);
    } catch (const std::exception&) {
        fail(name, "must be an integer", v);
    }
    if (used != v.size()) fail(name, "must be an integer", v);
    if (n < lo || n > hi)
        fail(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi), v);
    return n;
}

double parse_positive(const std::string& name, const std::string& v) {
    std::size_t used = 0;
    double d = 0;
    try {
        d = std::stod(v, &used);
    } catch (const std::exception&) {
        fail(name, "must be a number", v);
    }
    if (used != v.size() || !std::isfinite(d) || d <= 0) fail(name, "must be a positive number", v);
    return d;
}

bool parse_switch(const std::string& name, const std::string& v, const char* on, const char* off) {
    std::string low;
    for (char ch : v) low.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    if (low == on || low == "true" || low == "1" || low == "yes" || low == "on") return true;
    if (low == off || low == "false" || low == "0" || low == "no" || low == "off") return false;
    fail(name, std::string("must be ") + on + " or " + off, v);
}

std::vector<std::string> split_list(const std::string& v) {
    std::vector<std::string> out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item = trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

}  // namespace

const std::vector<std::string>& known_variables() {
    static const std::vector<std::string> names = {
        "HOST", "PORT", "THREADS", "CORS_ORIGINS", "MAX_BODY_BYTES", "HTTP_READ_TIMEOUT_S",
        "SHUTDOWN_GRACE_S", "FRONTEND_DIR", "DB_PATH", "DB_HOST", "DB_PORT", "DB_USER",
        "DB_PASSWORD", "DB_DATABASE", "DB_POOL_SIZE", "ARDUINO_URL", "BATTERY_CAPACITY_WH",
        "LOG_LEVEL", "LOG_FORMAT", "LOG_FILE", "MAX_CONNECTIONS", "PING_INTERVAL_MS", "PING_TIMEOUT_MS", "CONNECT_TIMEOUT_MS",
        "MAX_PAYLOAD_BYTES", "RECOVERY_WINDOW_MS", "MAX_QUEUED_PACKETS",
        "ALLOW_EIO3",
        "DEVICE_INTERVAL_S", "DEVICE_OFFLINE_AFTER", "DEVICE_TIMEOUT_MS", "DEVICE_RETRIES", "DEVICE_BACKOFF_MS",
        "DB_CONNECT_TIMEOUT_S", "DB_QUERY_TIMEOUT_S", "AGGREGATE_MAX_GAP_S", "RAW_RETENTION_DAYS",
        "LEASE_TTL_S",
        "REDIS_STREAM",
        "REDIS_STREAM_MAXLEN",
        "HISTORY_MAX_ROWS", "UTC_OFFSET_HOURS", "SOLAR_W_MAX", "LUX_MAX", "DB_SYNC", "DB_START_RETRY_S",
        "AGGREGATE_BRIDGE_MAX_S", "AUTH", "PUBLIC_READ", "DEVICE_TRUSTED_NETWORKS", "SESSION_TTL_H",
        "TRUSTED_PROXIES",
        "ADMIN_PASSWORD", "LOGIN_MAX_FAILURES", "LOGIN_FAILURE_WINDOW_S", "LOGIN_RATE", "LOGIN_BURST",
        "INGEST_RATE", "INGEST_BURST", "TLS_CERT_FILE", "TLS_KEY_FILE", "MARKET_SHARES", "MARKET_CURRENCY",
        "MARKET_PRICE_FLOOR", "MARKET_PRICE_CEILING", "MARKET_CREDIT_LIMIT", "MARKET_POOL_PRICE_AT_EMPTY",
        "MARKET_POOL_PRICE_AT_FULL", "SOC_FLOOR", "MARKET_ENFORCE", "MARKET_EXEMPT", "HOUSEHOLD_NOMINAL_W",
        "METRICS_PUBLIC",
        "MQTT_URL", "MQTT_USERNAME", "MQTT_PASSWORD", "MQTT_CA_FILE", "MQTT_DEVICE", "SITE_ID", "MQTT_DISCOVERY",
        "MQTT_DISCOVERY_PREFIX", "REDIS_URL"};
    return names;
}

variables parse_dotenv(const std::string& text) {
    variables vars;
    std::stringstream ss(text);
    std::string line;
    int lineno = 0;
    while (std::getline(ss, line)) {
        ++lineno;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
        auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0)
            throw config_error(".env line " + std::to_string(lineno) + ": expected KEY=VALUE");
        std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        } else if (auto hash = value.find(" #"); hash != std::string::npos) {
            value = trim(value.substr(0, hash));  // inline comment after an unquoted value
        }
        vars[key] = value;
    }
    return vars;
}

variables read_dotenv_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return {};
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_dotenv(ss.str());
}

variables read_environment() {
    variables vars;
    for (const auto& name : known_variables())
        if (const char* v = std::getenv(name.c_str())) vars[name] = v;
    return vars;
}

void market_from(config& c, const std::function<const std::string*(const char*)>& get) {
    // The share and wattage lists are read by the settlement's own parsers
    // (domain/market/settlement.hpp): one rule for both.
    if (auto v = get("MARKET_SHARES")) {
        auto parsed = domain::market::parse_market_shares(*v);
        if (!parsed.value) fail("MARKET_SHARES", parsed.error, *v);
        c.market_shares = *parsed.value;
    }
    if (auto v = get("MARKET_CURRENCY")) {
        bool ok = v->size() == 3;
        for (char ch : *v) ok = ok && ch >= 'A' && ch <= 'Z';
        if (!ok) fail("MARKET_CURRENCY", "must be an ISO 4217 code such as KRW", *v);
        c.market_currency = *v;
    }
    constexpr long long max_price = 1000000000;
    if (auto v = get("MARKET_PRICE_FLOOR")) c.market_price_floor = parse_int("MARKET_PRICE_FLOOR", *v, 0, max_price);
    if (auto v = get("MARKET_PRICE_CEILING"))
        c.market_price_ceiling = parse_int("MARKET_PRICE_CEILING", *v, 0, max_price);
    if (c.market_price_ceiling < c.market_price_floor)
        fail("MARKET_PRICE_CEILING", "must not be below MARKET_PRICE_FLOOR", std::to_string(c.market_price_ceiling));
    if (c.market_price_ceiling - c.market_price_floor >= (1LL << 22))
        fail("MARKET_PRICE_CEILING", "the price range may span at most 4194304 prices", std::to_string(c.market_price_ceiling));
    if (auto v = get("MARKET_CREDIT_LIMIT"))
        c.market_credit_limit = parse_int("MARKET_CREDIT_LIMIT", *v, 0, 1000000000000LL);
    auto in_range = [&](const char* name, long long& out) {
        if (auto v = get(name)) {
            if (v->empty() || *v == "off") {
                out = -1;
                return;
            }
            out = parse_int(name, *v, c.market_price_floor, c.market_price_ceiling);
        } else if (out >= 0) {
            out = std::clamp(out, c.market_price_floor, c.market_price_ceiling);
        }
    };
    in_range("MARKET_POOL_PRICE_AT_EMPTY", c.market_pool_price_at_empty);
    in_range("MARKET_POOL_PRICE_AT_FULL", c.market_pool_price_at_full);
    if ((c.market_pool_price_at_empty < 0) != (c.market_pool_price_at_full < 0))
        fail("MARKET_POOL_PRICE_AT_FULL", "set both pool prices, or neither (off)", "");
    if (auto v = get("SOC_FLOOR")) c.soc_floor = static_cast<int>(parse_int("SOC_FLOOR", *v, 0, 100));
    c.market_enforce = c.auth_enabled;  // AUTH=off keeps the seed's relays exactly
    if (auto v = get("MARKET_ENFORCE")) c.market_enforce = parse_switch("MARKET_ENFORCE", *v, "on", "off");
    if (auto v = get("MARKET_EXEMPT")) {
        c.market_exempt = {};
        for (const auto& item : split_list(*v)) {
            if (item.size() != 1 || item[0] < 'A' || item[0] > 'D')
                fail("MARKET_EXEMPT", "must be a comma list of households among A, B, C, D", item);
            c.market_exempt[static_cast<std::size_t>(item[0] - 'A')] = true;
        }
    }
    if (auto v = get("HOUSEHOLD_NOMINAL_W")) {
        auto parsed = domain::market::parse_household_nominal_w(*v);
        if (!parsed.value) fail("HOUSEHOLD_NOMINAL_W", parsed.error, *v);
        c.household_nominal_w = *parsed.value;
    }
}

namespace {

// A topic level solgrid builds topics from: letters, digits, '_' and '-'
// (no '/', no MQTT wildcards, nothing a broker ACL pattern could misread).
bool topic_word(const std::string& s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    return std::all_of(s.begin(), s.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
    });
}

// The MQTT_* and SITE_ID part of from_variables (docs/mqtt.md).
void mqtt_from(config& c, const std::function<const std::string*(const char*)>& get) {
    if (auto v = get("SITE_ID")) {
        if (!topic_word(*v, 64)) fail("SITE_ID", "must be 1-64 of A-Z, a-z, 0-9, '_' and '-' (it is an MQTT topic level)", *v);
        c.site_id = *v;
    }
    if (auto v = get("MQTT_DEVICE")) {
        if (!v->empty() && !topic_word(*v, 64))
            fail("MQTT_DEVICE", "must be 1-64 of A-Z, a-z, 0-9, '_' and '-' (it is an MQTT topic level)", *v);
        c.mqtt_device = *v;
    }
    if (auto v = get("MQTT_DISCOVERY")) c.mqtt_discovery = parse_switch("MQTT_DISCOVERY", *v, "true", "false");
    if (auto v = get("MQTT_DISCOVERY_PREFIX")) {
        if (!topic_word(*v, 64)) fail("MQTT_DISCOVERY_PREFIX", "must be 1-64 of A-Z, a-z, 0-9, '_' and '-'", *v);
        c.mqtt_discovery_prefix = *v;
    }
    if (auto v = get("MQTT_USERNAME")) c.mqtt_username = *v;
    if (auto v = get("MQTT_PASSWORD")) c.mqtt_password = *v;
    if (auto v = get("MQTT_CA_FILE")) c.mqtt_ca_file = *v;
    if (!c.mqtt_password.empty() && c.mqtt_username.empty())
        fail("MQTT_PASSWORD", "needs MQTT_USERNAME as well", "(hidden)");
    auto v = get("MQTT_URL");
    if (!v || v->empty()) return;
    std::string rest;
    if (v->rfind("mqtt://", 0) == 0) {
        rest = v->substr(7);
        c.mqtt_port = 1883;
    } else if (v->rfind("mqtts://", 0) == 0) {
        rest = v->substr(8);
        c.mqtt_port = 8883;
        c.mqtt_tls = true;
    } else {
        fail("MQTT_URL", "must be mqtt://host[:port] or mqtts://host[:port]", *v);
    }
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.find_first_of("/@?#") != std::string::npos)
        fail("MQTT_URL", "must be just mqtt://host[:port] (credentials go in MQTT_USERNAME / MQTT_PASSWORD)", *v);
    std::string host = rest;
    if (!rest.empty() && rest[0] == '[') {  // [::1]:1883
        auto close = rest.find(']');
        if (close == std::string::npos) fail("MQTT_URL", "has an unclosed [IPv6] host", *v);
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest[0] != ':') fail("MQTT_URL", "must be just mqtt://host[:port]", *v);
        if (!rest.empty()) c.mqtt_port = static_cast<int>(parse_int("MQTT_URL port", rest.substr(1), 1, 65535));
    } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        host = rest.substr(0, colon);
        c.mqtt_port = static_cast<int>(parse_int("MQTT_URL port", rest.substr(colon + 1), 1, 65535));
    }
    if (host.empty()) fail("MQTT_URL", "names no host", *v);
    c.mqtt_host = host;
    c.mqtt_url = *v;
}

}  // namespace

config from_variables(const variables& vars) {
    config c;
    auto get = [&](const char* name) -> const std::string* {
        auto it = vars.find(name);
        return it == vars.end() ? nullptr : &it->second;
    };
    auto ms = [&](const char* name, std::chrono::milliseconds& out, long long lo, long long hi) {
        if (auto v = get(name)) out = std::chrono::milliseconds(parse_int(name, *v, lo, hi));
    };

    if (auto v = get("HOST")) {
        if (v->empty()) fail("HOST", "must not be empty", *v);
        c.host = *v;
    }
    if (auto v = get("PORT")) c.port = static_cast<std::uint16_t>(parse_int("PORT", *v, 0, 65535));
    if (auto v = get("THREADS")) c.threads = static_cast<int>(parse_int("THREADS", *v, 0, 256));
    if (auto v = get("CORS_ORIGINS")) {
        c.cors_origins = split_list(*v);
        if (c.cors_origins.empty()) fail("CORS_ORIGINS", "must be * or a comma-separated list of origins", *v);
        for (const auto& o : c.cors_origins)
            if (o != "*" && o.find("://") == std::string::npos)
                fail("CORS_ORIGINS", "each origin must look like http://host:port", o);
    }
    if (auto v = get("AUTH")) c.auth_enabled = parse_switch("AUTH", *v, "on", "off");
    if (c.cors_origins.empty()) {
        if (!c.auth_enabled) c.cors_origins = {"*"};  // the seed's behaviour
    } else if (c.auth_enabled && std::find(c.cors_origins.begin(), c.cors_origins.end(), "*") != c.cors_origins.end()) {
        fail("CORS_ORIGINS", "* lets any web site use a visitor's login; list the origins, or set AUTH=off for a lab demo",
             "*");
    }
    if (auto v = get("PUBLIC_READ")) c.public_read = parse_switch("PUBLIC_READ", *v, "true", "false");
    if (auto v = get("METRICS_PUBLIC")) c.metrics_public = parse_switch("METRICS_PUBLIC", *v, "true", "false");
    if (auto v = get("DEVICE_TRUSTED_NETWORKS")) {
        if (!common::network_list::parse(*v)) {
            std::string bad;
            for (const auto& item : split_list(*v))
                if (!common::parse_cidr(item)) { bad = item; break; }
            fail("DEVICE_TRUSTED_NETWORKS", "must be a comma list of CIDR ranges such as 192.168.0.0/24", bad);
        }
        c.device_trusted_networks = *v;
    }
    if (auto v = get("TRUSTED_PROXIES")) {
        for (const auto& item : split_list(*v))
            if (!common::parse_cidr(item))
                fail("TRUSTED_PROXIES", "must be a comma list of the reverse proxies' addresses or CIDR ranges such as "
                     "127.0.0.1/32 (or empty for none)", item);
        c.trusted_proxies = *v;
    }
    if (auto v = get("SESSION_TTL_H")) c.session_ttl = std::chrono::hours(parse_int("SESSION_TTL_H", *v, 1, 24 * 365));
    if (auto v = get("ADMIN_PASSWORD")) {
        if (!v->empty() && v->size() < 8) fail("ADMIN_PASSWORD", "must be at least 8 characters", "(hidden)");
        c.admin_password = *v;
    }
    if (auto v = get("LOGIN_MAX_FAILURES"))
        c.login_max_failures = static_cast<int>(parse_int("LOGIN_MAX_FAILURES", *v, 1, 1000));
    if (auto v = get("LOGIN_FAILURE_WINDOW_S"))
        c.login_failure_window = std::chrono::seconds(parse_int("LOGIN_FAILURE_WINDOW_S", *v, 1, 86400));
    if (auto v = get("LOGIN_RATE")) c.login_rate = parse_positive("LOGIN_RATE", *v);
    if (auto v = get("LOGIN_BURST")) c.login_burst = static_cast<int>(parse_int("LOGIN_BURST", *v, 1, 100000));
    if (auto v = get("INGEST_RATE")) c.ingest_rate = parse_positive("INGEST_RATE", *v);
    if (auto v = get("INGEST_BURST")) c.ingest_burst = static_cast<int>(parse_int("INGEST_BURST", *v, 1, 100000));
    if (auto v = get("TLS_CERT_FILE")) c.tls_cert_file = *v;
    if (auto v = get("TLS_KEY_FILE")) c.tls_key_file = *v;
    if (c.tls_cert_file.empty() != c.tls_key_file.empty())
        fail(c.tls_cert_file.empty() ? "TLS_CERT_FILE" : "TLS_KEY_FILE",
             "TLS needs both TLS_CERT_FILE and TLS_KEY_FILE", c.tls_cert_file.empty() ? "" : c.tls_key_file);
    market_from(c, get);
    if (auto v = get("MAX_BODY_BYTES"))
        c.max_body_bytes = static_cast<std::size_t>(parse_int("MAX_BODY_BYTES", *v, 64, 1LL << 30));
    if (auto v = get("HTTP_READ_TIMEOUT_S"))
        c.http_read_timeout = std::chrono::seconds(parse_int("HTTP_READ_TIMEOUT_S", *v, 1, 3600));
    if (auto v = get("SHUTDOWN_GRACE_S"))
        c.shutdown_grace = std::chrono::seconds(parse_int("SHUTDOWN_GRACE_S", *v, 0, 600));
    if (auto v = get("FRONTEND_DIR")) c.frontend_dir = *v;

    if (auto v = get("DB_PATH")) {
        if (v->empty()) fail("DB_PATH", "must not be empty", *v);
        c.db_path = *v;
    }
    if (auto v = get("DB_HOST")) c.db_host = *v;
    if (auto v = get("DB_PORT")) c.db_port = static_cast<std::uint16_t>(parse_int("DB_PORT", *v, 1, 65535));
    if (auto v = get("DB_USER")) c.db_user = *v;
    if (auto v = get("DB_PASSWORD")) c.db_password = *v;
    if (auto v = get("DB_DATABASE")) {
        if (v->empty()) fail("DB_DATABASE", "must not be empty", *v);
        c.db_database = *v;
    }
    if (auto v = get("DB_POOL_SIZE")) c.db_pool_size = static_cast<int>(parse_int("DB_POOL_SIZE", *v, 1, 64));
    if (auto v = get("DB_CONNECT_TIMEOUT_S"))
        c.db_connect_timeout = std::chrono::seconds(parse_int("DB_CONNECT_TIMEOUT_S", *v, 1, 600));
    if (auto v = get("DB_QUERY_TIMEOUT_S"))
        c.db_query_timeout = std::chrono::seconds(parse_int("DB_QUERY_TIMEOUT_S", *v, 1, 3600));
    if (auto v = get("DB_START_RETRY_S"))
        c.db_start_retry = std::chrono::seconds(parse_int("DB_START_RETRY_S", *v, 0, 3600));
    if (auto v = get("DB_SYNC")) {
        if (*v == "full") c.db_sync = config::sync_mode::full;
        else if (*v == "normal") c.db_sync = config::sync_mode::normal;
        else fail("DB_SYNC", "must be full or normal", *v);
    }
    if (auto v = get("AGGREGATE_MAX_GAP_S"))
        c.aggregate_max_gap = std::chrono::seconds(parse_int("AGGREGATE_MAX_GAP_S", *v, 1, 3600));
    if (auto v = get("AGGREGATE_BRIDGE_MAX_S"))
        c.aggregate_bridge_max = std::chrono::seconds(parse_int("AGGREGATE_BRIDGE_MAX_S", *v, 1, 86400));
    if (c.aggregate_bridge_max < c.aggregate_max_gap)
        fail("AGGREGATE_BRIDGE_MAX_S", "must not be less than AGGREGATE_MAX_GAP_S",
             std::to_string(c.aggregate_bridge_max.count()));
    if (auto v = get("RAW_RETENTION_DAYS"))
        c.raw_retention_days = static_cast<int>(parse_int("RAW_RETENTION_DAYS", *v, 0, 36500));
    if (auto v = get("LEASE_TTL_S"))
        c.lease_ttl = std::chrono::seconds(parse_int("LEASE_TTL_S", *v, 5, 86400));
    if (auto v = get("HISTORY_MAX_ROWS"))
        c.history_max_rows = static_cast<std::size_t>(parse_int("HISTORY_MAX_ROWS", *v, 10, 10000000));
    if (auto v = get("UTC_OFFSET_HOURS"))
        c.utc_offset_hours = static_cast<int>(parse_int("UTC_OFFSET_HOURS", *v, -12, 14));

    if (auto v = get("ARDUINO_URL")) {
        if (!v->empty() && v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
            fail("ARDUINO_URL", "must start with http:// (the Arduino's own http://IP:port)", *v);
        c.arduino_url = *v;
        while (!c.arduino_url.empty() && c.arduino_url.back() == '/') c.arduino_url.pop_back();
    }
    mqtt_from(c, get);
    if (auto v = get("REDIS_URL"); v && !v->empty()) {
        try {
            redis::parse_url(*v);
        } catch (const std::invalid_argument& e) {
            fail("REDIS_URL", e.what(), redis::redact_url(*v));  // never the password in a log
        }
        c.redis_url = *v;
    }
    if (auto v = get("REDIS_STREAM")) {
        if (v->empty() || v->size() > 200) fail("REDIS_STREAM", "must be 1 to 200 characters", *v);
        c.redis_stream = *v;
    }
    if (auto v = get("REDIS_STREAM_MAXLEN"))
        c.redis_stream_maxlen = static_cast<std::size_t>(parse_int("REDIS_STREAM_MAXLEN", *v, 100, 100000000));
    if (auto v = get("BATTERY_CAPACITY_WH")) c.battery_capacity_wh = parse_positive("BATTERY_CAPACITY_WH", *v);
    if (auto v = get("SOLAR_W_MAX")) c.solar_w_max = parse_positive("SOLAR_W_MAX", *v);
    if (auto v = get("LUX_MAX")) c.lux_max = parse_positive("LUX_MAX", *v);
    if (auto v = get("DEVICE_INTERVAL_S")) {
        double s = parse_positive("DEVICE_INTERVAL_S", *v);
        if (s < 0.05 || s > 3600) fail("DEVICE_INTERVAL_S", "must be between 0.05 and 3600 seconds", *v);
        c.device_interval = std::chrono::milliseconds(std::llround(s * 1000));
    }
    if (auto v = get("DEVICE_OFFLINE_AFTER"))
        c.device_offline_after = static_cast<int>(parse_int("DEVICE_OFFLINE_AFTER", *v, 1, 1000));
    ms("DEVICE_TIMEOUT_MS", c.device_timeout, 50, 600000);
    if (auto v = get("DEVICE_RETRIES")) c.device_retries = static_cast<int>(parse_int("DEVICE_RETRIES", *v, 1, 100));
    ms("DEVICE_BACKOFF_MS", c.device_backoff, 1, 600000);
    if (auto v = get("LOG_LEVEL")) {
        static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
        if (std::find(levels.begin(), levels.end(), *v) == levels.end())
            fail("LOG_LEVEL", "must be one of trace, debug, info, warn, error, critical, off", *v);
        c.log_level = *v;
    }
    if (auto v = get("LOG_FORMAT")) {
        if (*v != "text" && *v != "json") fail("LOG_FORMAT", "must be text or json", *v);
        c.log_json = *v == "json";
    }
    if (auto v = get("LOG_FILE")) c.log_file = *v;
    if (auto v = get("MAX_CONNECTIONS"))
        c.max_connections = static_cast<int>(parse_int("MAX_CONNECTIONS", *v, 0, 10000000));

    ms("PING_INTERVAL_MS", c.engineio.ping_interval, 50, 3600000);
    ms("PING_TIMEOUT_MS", c.engineio.ping_timeout, 50, 3600000);
    ms("CONNECT_TIMEOUT_MS", c.engineio.connect_timeout, 50, 3600000);
    ms("RECOVERY_WINDOW_MS", c.engineio.recovery_window, 0, 24LL * 3600000);
    if (auto v = get("MAX_PAYLOAD_BYTES"))
        c.engineio.max_payload = static_cast<std::size_t>(parse_int("MAX_PAYLOAD_BYTES", *v, 64, 1LL << 30));
    if (auto v = get("MAX_QUEUED_PACKETS"))
        c.engineio.max_queued_packets = static_cast<std::size_t>(parse_int("MAX_QUEUED_PACKETS", *v, 16, 1 << 24));
    if (auto v = get("ALLOW_EIO3")) c.engineio.allow_eio3 = parse_switch("ALLOW_EIO3", *v, "true", "false");
    return c;
}

config load(const std::string& dotenv_path, const variables& overrides) {
    variables vars = read_dotenv_file(dotenv_path);
    for (auto& [k, v] : read_environment()) vars[k] = v;
    for (auto& [k, v] : overrides) vars[k] = v;
    return from_variables(vars);
}

}  // namespace solgrid::config
