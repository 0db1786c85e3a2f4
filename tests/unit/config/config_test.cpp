#include "config/config.hpp"

#include <gtest/gtest.h>

using namespace solgrid::config;

TEST(Config, DefaultsMatchTheSeed) {
    auto c = from_variables({});
    EXPECT_EQ(c.port, 5000);
    EXPECT_EQ(c.db_path, "data/solgrid.db");
    // Issue 12: secure by default, only the served origin; the seed's "*" under AUTH=off.
    EXPECT_TRUE(c.cors_origins.empty());
    EXPECT_TRUE(c.auth_enabled);
    EXPECT_DOUBLE_EQ(c.battery_capacity_wh, 10000.0);
    EXPECT_FALSE(c.uses_mysql());
    EXPECT_EQ(c.engineio.ping_interval.count(), 25000);
    EXPECT_EQ(c.engineio.ping_timeout.count(), 20000);
    EXPECT_EQ(c.engineio.max_payload, 1000000u);
}

TEST(Config, DotenvParsesCommentsQuotesAndExport) {
    auto v = parse_dotenv("# comment\n\nDB_HOST=localhost\nexport DB_USER=\"solar user\"\nDB_PASSWORD='p#ss'\n"
                          "ARDUINO_URL=http://192.0.2.10:80  # inline\n");
    EXPECT_EQ(v["DB_HOST"], "localhost");
    EXPECT_EQ(v["DB_USER"], "solar user");
    EXPECT_EQ(v["DB_PASSWORD"], "p#ss");
    EXPECT_EQ(v["ARDUINO_URL"], "http://192.0.2.10:80");
}

TEST(Config, DotenvRejectsALineWithoutEquals) { EXPECT_THROW(parse_dotenv("JUSTAWORD\n"), config_error); }

TEST(Config, DbHostSelectsMysql) {
    auto c = from_variables({{"DB_HOST", "127.0.0.1"}, {"DB_DATABASE", "solar_ess"}});
    EXPECT_TRUE(c.uses_mysql());
    EXPECT_EQ(c.db_port, 3306);
}

TEST(Config, BadValuesNameTheVariable) {
    auto message = [](variables v) {
        try {
            from_variables(v);
        } catch (const config_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message({{"PORT", "abc"}}).find("PORT"), std::string::npos);
    EXPECT_NE(message({{"PORT", "70000"}}).find("PORT"), std::string::npos);
    EXPECT_NE(message({{"BATTERY_CAPACITY_WH", "-5"}}).find("BATTERY_CAPACITY_WH"), std::string::npos);
    EXPECT_NE(message({{"LOG_LEVEL", "loud"}}).find("LOG_LEVEL"), std::string::npos);
    EXPECT_NE(message({{"ARDUINO_URL", "192.168.0.5"}}).find("ARDUINO_URL"), std::string::npos);
    EXPECT_NE(message({{"CORS_ORIGINS", "localhost"}}).find("CORS_ORIGINS"), std::string::npos);
    EXPECT_NE(message({{"PING_INTERVAL_MS", "1"}}).find("PING_INTERVAL_MS"), std::string::npos);
    EXPECT_NE(message({{"SOLAR_W_MAX", "0"}}).find("SOLAR_W_MAX"), std::string::npos);
    EXPECT_NE(message({{"LUX_MAX", "lots"}}).find("LUX_MAX"), std::string::npos);
    EXPECT_NE(message({{"DB_SYNC", "off"}}).find("DB_SYNC"), std::string::npos);
    EXPECT_NE(message({{"AGGREGATE_MAX_GAP_S", "600"}, {"AGGREGATE_BRIDGE_MAX_S", "300"}}).find("AGGREGATE_BRIDGE_MAX_S"),
              std::string::npos);
}

TEST(Config, SafetyDefaults) {
    auto c = from_variables({});
    EXPECT_EQ(c.solar_w_max, 1000000.0);
    EXPECT_EQ(c.lux_max, 200000.0);
    EXPECT_EQ(c.db_sync, config::sync_mode::full);  // a 201 survives a power cut
    EXPECT_EQ(from_variables({{"DB_SYNC", "normal"}}).db_sync, config::sync_mode::normal);
    EXPECT_EQ(from_variables({{"SOLAR_W_MAX", "5000"}}).solar_w_max, 5000.0);
}

TEST(Config, LeaseTtl) {
    EXPECT_EQ(from_variables({}).lease_ttl, std::chrono::seconds(300));
    EXPECT_EQ(from_variables({{"LEASE_TTL_S", "5"}}).lease_ttl, std::chrono::seconds(5));
    for (auto bad : {"4", "0", "abc"}) {
        try {
            from_variables({{"LEASE_TTL_S", bad}});
            ADD_FAILURE() << "LEASE_TTL_S=" << bad << " accepted";
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find("LEASE_TTL_S"), std::string::npos) << e.what();
        }
    }
}

TEST(Config, LaterSourcesWin) {
    auto c = from_variables({{"PORT", "6000"}, {"CORS_ORIGINS", "http://localhost:5173, https://grid.example"}});
    EXPECT_EQ(c.port, 6000);
    ASSERT_EQ(c.cors_origins.size(), 2u);
    EXPECT_EQ(c.cors_origins[1], "https://grid.example");
}

TEST(Config, AccessControlSettings) {
    using namespace solgrid::config;
    auto off = from_variables({{"AUTH", "off"}});
    EXPECT_FALSE(off.auth_enabled);
    EXPECT_EQ(off.cors_origins, std::vector<std::string>{"*"});
    EXPECT_THROW(from_variables({{"CORS_ORIGINS", "*"}}), config_error);
    EXPECT_NO_THROW(from_variables({{"CORS_ORIGINS", "*"}, {"AUTH", "off"}}));
    EXPECT_THROW(from_variables({{"AUTH", "maybe"}}), config_error);
    EXPECT_THROW(from_variables({{"DEVICE_TRUSTED_NETWORKS", "10.0.0.0/8,nope"}}), config_error);
    try {
        from_variables({{"DEVICE_TRUSTED_NETWORKS", "10.0.0.0/8,nope"}});
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(from_variables({{"TLS_CERT_FILE", "/tmp/c.pem"}}), config_error);
    EXPECT_THROW(from_variables({{"ADMIN_PASSWORD", "short"}}), config_error);
    EXPECT_THROW(from_variables({{"INGEST_RATE", "0"}}), config_error);
    auto c = from_variables({{"PUBLIC_READ", "true"}, {"SESSION_TTL_H", "2"}, {"LOGIN_MAX_FAILURES", "3"}});
    EXPECT_TRUE(c.public_read);
    EXPECT_EQ(c.session_ttl, std::chrono::hours(2));
    EXPECT_EQ(c.login_max_failures, 3);
}

TEST(Config, MarketSettings) {
    auto d = from_variables({});
    EXPECT_EQ(d.market_shares, (std::map<std::string, int>{{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}}));
    EXPECT_EQ(d.market_currency, "KRW");
    EXPECT_TRUE(d.market_enforce);  // AUTH on by default
    EXPECT_FALSE(from_variables({{"AUTH", "off"}}).market_enforce);  // the seed's relays exactly
    EXPECT_TRUE(from_variables({{"AUTH", "off"}, {"MARKET_ENFORCE", "on"}}).market_enforce);
    auto c = from_variables({{"MARKET_SHARES", "A:40,B:20,C:20,pool:20"},
                             {"MARKET_CURRENCY", "EUR"},
                             {"MARKET_PRICE_FLOOR", "5"},
                             {"MARKET_PRICE_CEILING", "50"},
                             {"MARKET_CREDIT_LIMIT", "1000"},
                             {"MARKET_POOL_PRICE_AT_EMPTY", "40"},
                             {"MARKET_POOL_PRICE_AT_FULL", "10"},
                             {"SOC_FLOOR", "15"},
                             {"MARKET_EXEMPT", "B,D"},
                             {"HOUSEHOLD_NOMINAL_W", "A:300,B:800,C:500,D:500"}});
    EXPECT_EQ(c.market_shares, (std::map<std::string, int>{{"A", 40}, {"B", 20}, {"C", 20}, {"pool", 20}}));
    EXPECT_EQ(c.market_currency, "EUR");
    EXPECT_EQ(c.market_price_floor, 5);
    EXPECT_EQ(c.market_price_ceiling, 50);
    EXPECT_EQ(c.market_credit_limit, 1000);
    EXPECT_EQ(c.market_pool_price_at_empty, 40);
    EXPECT_EQ(c.market_pool_price_at_full, 10);
    EXPECT_EQ(c.soc_floor, 15);
    EXPECT_EQ(c.market_exempt, (std::array<bool, 4>{false, true, false, true}));
    EXPECT_EQ(c.household_nominal_w, (std::array<double, 4>{300, 800, 500, 500}));
    EXPECT_EQ(from_variables({{"HOUSEHOLD_NOMINAL_W", "250"}}).household_nominal_w, (std::array<double, 4>{250, 250, 250, 250}));
    // Pool prices outside the (default) bounds are clamped only when defaulted; given ones are checked.
    auto pool_off = from_variables({{"MARKET_POOL_PRICE_AT_EMPTY", "off"}, {"MARKET_POOL_PRICE_AT_FULL", "off"}});
    EXPECT_EQ(pool_off.market_pool_price_at_empty, -1);
    for (auto [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
             {"MARKET_SHARES", "A:25,E:25"},
             {"MARKET_SHARES", "A:0,B:0"},
             {"MARKET_SHARES", "A:25,A:25"},
             {"MARKET_SHARES", "A25"},
             {"MARKET_CURRENCY", "won"},
             {"MARKET_PRICE_CEILING", "0"},
             {"MARKET_PRICE_FLOOR", "-1"},
             {"MARKET_CREDIT_LIMIT", "-5"},
             {"MARKET_POOL_PRICE_AT_EMPTY", "5000"},
             {"MARKET_POOL_PRICE_AT_FULL", "off"},
             {"SOC_FLOOR", "101"},
             {"MARKET_ENFORCE", "maybe"},
             {"MARKET_EXEMPT", "A,pool"},
             {"HOUSEHOLD_NOMINAL_W", "A:0"},
             {"HOUSEHOLD_NOMINAL_W", "E:100"}}) {
        try {
            from_variables({{name, value}});
            ADD_FAILURE() << name << "=" << value << " was accepted";
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(from_variables({{"MARKET_PRICE_FLOOR", "0"}, {"MARKET_PRICE_CEILING", "5000000"}}), config_error);
}

TEST(Config, LogFormatFileAndMaxConnections) {
    auto d = from_variables({});
    EXPECT_FALSE(d.log_json);
    EXPECT_TRUE(d.log_file.empty());
    EXPECT_EQ(d.max_connections, 0);  // no limit
    EXPECT_FALSE(d.metrics_public);
    EXPECT_TRUE(from_variables({{"METRICS_PUBLIC", "true"}}).metrics_public);
    EXPECT_THROW(from_variables({{"METRICS_PUBLIC", "yes please"}}), config_error);
    auto c = from_variables({{"LOG_FORMAT", "json"}, {"LOG_FILE", "/var/log/solgrid.log"}, {"MAX_CONNECTIONS", "500"}});
    EXPECT_TRUE(c.log_json);
    EXPECT_EQ(c.log_file, "/var/log/solgrid.log");
    EXPECT_EQ(c.max_connections, 500);
    EXPECT_FALSE(from_variables({{"LOG_FORMAT", "text"}}).log_json);
    auto message = [](variables v) {
        try {
            from_variables(v);
        } catch (const config_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message({{"LOG_FORMAT", "xml"}}).find("LOG_FORMAT"), std::string::npos);
    EXPECT_NE(message({{"MAX_CONNECTIONS", "-1"}}).find("MAX_CONNECTIONS"), std::string::npos);
    EXPECT_NE(message({{"MAX_CONNECTIONS", "many"}}).find("MAX_CONNECTIONS"), std::string::npos);
}

TEST(Config, AllowEio3OnByDefault) {
    EXPECT_TRUE(from_variables({}).engineio.allow_eio3);
    EXPECT_FALSE(from_variables({{"ALLOW_EIO3", "false"}}).engineio.allow_eio3);
    EXPECT_TRUE(from_variables({{"ALLOW_EIO3", "true"}}).engineio.allow_eio3);
    try {
        from_variables({{"ALLOW_EIO3", "maybe"}});
        ADD_FAILURE() << "ALLOW_EIO3=maybe was accepted";
    } catch (const config_error& e) {
        EXPECT_NE(std::string(e.what()).find("ALLOW_EIO3"), std::string::npos) << e.what();
    }
}

TEST(Config, TrustedProxies) {
    EXPECT_EQ(from_variables({}).trusted_proxies, "") << "nobody's X-Forwarded-For is believed by default";
    EXPECT_EQ(from_variables({{"TRUSTED_PROXIES", ""}}).trusted_proxies, "");
    EXPECT_EQ(from_variables({{"TRUSTED_PROXIES", "127.0.0.1/32, ::1, 10.0.0.0/8"}}).trusted_proxies,
              "127.0.0.1/32, ::1, 10.0.0.0/8");
    for (const char* bad : {"127.0.0.1/32,nginx", "127.0.0.1/33", "localhost", "10.0.0.0/8, 300.1.1.1"}) {
        try {
            from_variables({{"TRUSTED_PROXIES", bad}});
            ADD_FAILURE() << bad << " was accepted";
        } catch (const config_error& e) {
            std::string what = e.what();
            EXPECT_EQ(what.rfind("TRUSTED_PROXIES: ", 0), 0u) << what;
            std::string item = bad;
            item = item.substr(item.find_last_of(',') == std::string::npos ? 0 : item.find_last_of(',') + 1);
            while (!item.empty() && item.front() == ' ') item.erase(0, 1);
            EXPECT_NE(what.find("(got '" + item + "')"), std::string::npos) << what;
        }
    }
}

TEST(Config, MqttIsOffByDefaultAndReadsItsUrl) {
    auto off = from_variables({});
    EXPECT_TRUE(off.mqtt_url.empty());
    EXPECT_EQ(off.site_id, "default");
    EXPECT_TRUE(off.mqtt_discovery);
    EXPECT_EQ(off.mqtt_discovery_prefix, "homeassistant");
    struct row {
        const char* url;
        const char* host;
        int port;
        bool tls;
    };
    for (auto r : {row{"mqtt://broker.lan", "broker.lan", 1883, false}, row{"mqtts://broker.lan", "broker.lan", 8883, true},
                   row{"mqtt://127.0.0.1:18830", "127.0.0.1", 18830, false}, row{"mqtts://[::1]:8884/", "::1", 8884, true}}) {
        auto c = from_variables({{"MQTT_URL", r.url}});
        EXPECT_EQ(c.mqtt_host, r.host) << r.url;
        EXPECT_EQ(c.mqtt_port, r.port) << r.url;
        EXPECT_EQ(c.mqtt_tls, r.tls) << r.url;
    }
    auto c = from_variables({{"SITE_ID", "farm-2_b"}, {"MQTT_DISCOVERY", "false"}, {"MQTT_DEVICE", "esp32-1"}});
    EXPECT_EQ(c.site_id, "farm-2_b");
    EXPECT_FALSE(c.mqtt_discovery);
    EXPECT_EQ(c.mqtt_device, "esp32-1");
}

TEST(Config, BadMqttValuesNameTheVariable) {
    auto message = [](variables v) {
        try {
            from_variables(v);
        } catch (const config_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    for (const char* url : {"http://broker:1883", "tcp://broker", "broker:1883", "mqtt://broker:0", "mqtt://broker:65536",
                            "mqtt://broker:port", "mqtt://", "mqtt://user:pw@broker", "mqtt://broker/topic", "mqtt://[::1"})
        EXPECT_NE(message({{"MQTT_URL", url}}).find("MQTT_URL"), std::string::npos) << url;
    for (std::string site : {std::string(), std::string("a/b"), std::string("a+"), std::string("#"),
                             std::string("site id"), std::string(65, 'x')})
        EXPECT_NE(message({{"SITE_ID", site}}).find("SITE_ID"), std::string::npos) << site;
    EXPECT_NE(message({{"MQTT_DEVICE", "dev/1"}}).find("MQTT_DEVICE"), std::string::npos);
    EXPECT_NE(message({{"MQTT_DISCOVERY", "maybe"}}).find("MQTT_DISCOVERY"), std::string::npos);
    EXPECT_NE(message({{"MQTT_DISCOVERY_PREFIX", "home/assistant"}}).find("MQTT_DISCOVERY_PREFIX"), std::string::npos);
    EXPECT_NE(message({{"MQTT_PASSWORD", "secret"}}).find("MQTT_PASSWORD"), std::string::npos);
}

TEST(Config, RedisUrlIsValidatedAtStartAndBadOnesNameTheVariable) {
    EXPECT_EQ(from_variables({}).redis_url, "");
    EXPECT_EQ(from_variables({{"REDIS_URL", ""}}).redis_url, "");
    for (const char* good : {"redis://127.0.0.1", "redis://redis:6380/2", "redis://:pw@h", "redis://user:pw@[::1]:6379/0"})
        EXPECT_EQ(from_variables({{"REDIS_URL", good}}).redis_url, good);
    for (const char* bad : {"http://h:6379", "rediss://h", "h:6379", "redis://", "redis://h:0", "redis://h:65536",
                            "redis://h:port", "redis://h/x", "redis://h/-1", "redis://h/1/2", "redis://h?db=1",
                            "redis://user:secret@h:99999"}) {
        std::string what = "no error";
        try {
            from_variables({{"REDIS_URL", bad}});
        } catch (const config_error& e) {
            what = e.what();
        }
        EXPECT_EQ(what.rfind("REDIS_URL: ", 0), 0u) << bad << " -> " << what;
        EXPECT_EQ(what.find("secret"), std::string::npos) << what;  // the password stays out of the log
    }
}

TEST(Config, RedisStreamAndItsLength) {
    EXPECT_EQ(from_variables({}).redis_stream, "socket.io");  // the Node adapter's default streamName
    EXPECT_EQ(from_variables({}).redis_stream_maxlen, 10000u);  // and maxLen
    EXPECT_EQ(from_variables({{"REDIS_STREAM", "site-7"}}).redis_stream, "site-7");
    EXPECT_EQ(from_variables({{"REDIS_STREAM_MAXLEN", "50000"}}).redis_stream_maxlen, 50000u);
    for (const std::map<std::string, std::string>& bad :
         std::vector<std::map<std::string, std::string>>{{{"REDIS_STREAM", ""}},
                                                         {{"REDIS_STREAM", std::string(201, 's')}},
                                                         {{"REDIS_STREAM_MAXLEN", "10"}},
                                                         {{"REDIS_STREAM_MAXLEN", "many"}}}) {
        std::string what = "no error";
        try {
            from_variables(bad);
        } catch (const config_error& e) {
            what = e.what();
        }
        EXPECT_EQ(what.rfind(bad.begin()->first + ": ", 0), 0u) << what;
    }
}
