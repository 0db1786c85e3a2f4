// The Prometheus registry: text exposition (HELP/TYPE, labels escaped,
// histogram buckets cumulative with +Inf, _sum, _count), naming rules, and
// exact counts under concurrent updates.
#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace solgrid::common::metrics;

TEST(Metrics, CountersAndGaugesRenderWithLabels) {
    registry r;
    auto& req = r.add_counter("solgrid_http_requests_total", "HTTP requests answered.", {"route", "status"});
    req.with({"/api/data/latest", "200"}).inc();
    req.with({"/api/data/latest", "200"}).inc(2);
    req.with({"/api/relay/update", "403"}).inc();
    auto& g = r.add_gauge("solgrid_engineio_sessions", "Open Engine.IO sessions.", {"transport"});
    g.with({"websocket"}).set(3);
    g.with({"websocket"}).add(-1);
    r.add_callback_gauge("solgrid_device_last_seen_age_seconds", "Since the device last posted.", [] { return 1.5; });
    EXPECT_EQ(r.render(),
              "# HELP solgrid_http_requests_total HTTP requests answered.\n"
              "# TYPE solgrid_http_requests_total counter\n"
              "solgrid_http_requests_total{route=\"/api/data/latest\",status=\"200\"} 3\n"
              "solgrid_http_requests_total{route=\"/api/relay/update\",status=\"403\"} 1\n"
              "# HELP solgrid_engineio_sessions Open Engine.IO sessions.\n"
              "# TYPE solgrid_engineio_sessions gauge\n"
              "solgrid_engineio_sessions{transport=\"websocket\"} 2\n"
              "# HELP solgrid_device_last_seen_age_seconds Since the device last posted.\n"
              "# TYPE solgrid_device_last_seen_age_seconds gauge\n"
              "solgrid_device_last_seen_age_seconds 1.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
    registry r;
    auto& h = r.add_histogram("solgrid_db_commit_seconds", "Commit latency.", {}, {0.001, 0.01, 0.1});
    for (double v : {0.0005, 0.001, 0.005, 0.05, 2.0}) h.get().observe(v);
    EXPECT_EQ(r.render(),
              "# HELP solgrid_db_commit_seconds Commit latency.\n"
              "# TYPE solgrid_db_commit_seconds histogram\n"
              "solgrid_db_commit_seconds_bucket{le=\"0.001\"} 2\n"
              "solgrid_db_commit_seconds_bucket{le=\"0.01\"} 3\n"
              "solgrid_db_commit_seconds_bucket{le=\"0.1\"} 4\n"
              "solgrid_db_commit_seconds_bucket{le=\"+Inf\"} 5\n"
              "solgrid_db_commit_seconds_sum 2.0565\n"
              "solgrid_db_commit_seconds_count 5\n");
}

TEST(Metrics, HostileLabelValuesAndHelpAreEscaped) {
    registry r;
    auto& c = r.add_counter("x_total", "a \\ help\nline", {"path"});
    c.with({"/a\"b\\c\nd"}).inc();
    EXPECT_EQ(r.render(), "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\nx_total{path=\"/a\\\"b\\\\c\\nd\"} 1\n");
    EXPECT_EQ(format_value(1e21), "1000000000000000000000");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(Metrics, NamingRulesAndDuplicatesAreRefused) {
    registry r;
    r.add_counter("ok_total", "");
    EXPECT_THROW(r.add_counter("ok_total", ""), std::invalid_argument);
    EXPECT_THROW(r.add_gauge("9lives", ""), std::invalid_argument);
    EXPECT_THROW(r.add_gauge("has-dash", ""), std::invalid_argument);
    EXPECT_THROW(r.add_counter("a_total", "", {"__reserved"}), std::invalid_argument);
    EXPECT_THROW(r.add_counter("b_total", "", {"le"}), std::invalid_argument);
    EXPECT_THROW(r.add_histogram("c_seconds", "", {}, {1.0, 0.5}), std::invalid_argument);
    auto& f = r.add_counter("d_total", "", {"a", "b"});
    EXPECT_THROW(f.with({"only one"}), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreExact) {
    registry r;
    auto& c = r.add_counter("n_total", "", {"k"});
    auto& h = r.add_histogram("d_seconds", "", {}, {0.5});
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 25000; ++i) {
                c.with({"same"}).inc();
                h.get().observe(i % 2 ? 0.25 : 1.0);
            }
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(c.with({"same"}).value(), 100000u);
    EXPECT_EQ(h.get().count(), 100000u);
    EXPECT_EQ(h.get().cumulative().front(), 50000u);
    EXPECT_DOUBLE_EQ(h.get().sum(), 50000 * 0.25 + 50000 * 1.0);
}

TEST(Metrics, CallbackFamiliesRenderWhatTheComponentReports) {
    registry r;
    int scrapes = 0;
    r.add_callback(kind::counter, "solgrid_relay_commands_total", "Relay commands by outcome.", {"outcome"}, [&] {
        ++scrapes;
        return std::vector<registry::sample>{{{"applied"}, 4}, {{"failed"}, 1}, {{"too", "many"}, 9}};
    });
    r.add_callback(kind::gauge, "solgrid_socketio_clients", "Clients by namespace.", {"namespace"},
                   [] { return std::vector<registry::sample>{}; });
    EXPECT_EQ(r.render(),
              "# HELP solgrid_relay_commands_total Relay commands by outcome.\n"
              "# TYPE solgrid_relay_commands_total counter\n"
              "solgrid_relay_commands_total{outcome=\"applied\"} 4\n"
              "solgrid_relay_commands_total{outcome=\"failed\"} 1\n"
              "# HELP solgrid_socketio_clients Clients by namespace.\n"
              "# TYPE solgrid_socketio_clients gauge\n");
    EXPECT_EQ(scrapes, 1);
    histogram owned({0.1, 1});
    owned.observe(0.05);
    owned.observe(3);
    r.add_histogram_view("solgrid_db_commit_duration_seconds", "Commits.", owned);
    auto text = r.render();
    EXPECT_NE(text.find("# TYPE solgrid_db_commit_duration_seconds histogram\n"
                        "solgrid_db_commit_duration_seconds_bucket{le=\"0.1\"} 1\n"
                        "solgrid_db_commit_duration_seconds_bucket{le=\"1\"} 1\n"
                        "solgrid_db_commit_duration_seconds_bucket{le=\"+Inf\"} 2\n"
                        "solgrid_db_commit_duration_seconds_sum 3.05\n"
                        "solgrid_db_commit_duration_seconds_count 2\n"),
              std::string::npos)
        << text;
    EXPECT_THROW(r.add_callback(kind::gauge, "solgrid_socketio_clients", "again", {}, {}), std::invalid_argument);
    EXPECT_THROW(r.add_callback(kind::histogram, "solgrid_x_seconds", "no", {}, {}), std::invalid_argument);
    EXPECT_THROW(r.add_callback(kind::gauge, "solgrid_y", "bad label", {"__reserved"}, {}), std::invalid_argument);
}
