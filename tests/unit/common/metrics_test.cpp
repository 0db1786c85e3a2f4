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
