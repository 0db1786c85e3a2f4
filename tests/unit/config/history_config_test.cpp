// The storage/history variables of issue 4: defaults, ranges, and that they
// reach the history settings the server runs with.
#include "app/aggregation_scheduler.hpp"
#include "app/server_app.hpp"
#include "config/config.hpp"

#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::config;

TEST(HistoryConfig, Defaults) {
    auto c = from_variables({});
    EXPECT_EQ(c.aggregate_max_gap.count(), 300);
    EXPECT_EQ(c.raw_retention_days, 7);
    EXPECT_EQ(c.history_max_rows, 50000u);
    EXPECT_EQ(c.utc_offset_hours, 0);
    EXPECT_EQ(c.db_connect_timeout.count(), 5);
    EXPECT_EQ(c.db_query_timeout.count(), 30);
}

TEST(HistoryConfig, ValuesReachTheServicesSettings) {
    auto c = from_variables({{"AGGREGATE_MAX_GAP_S", "120"},
                             {"RAW_RETENTION_DAYS", "0"},
                             {"HISTORY_MAX_ROWS", "1234"},
                             {"UTC_OFFSET_HOURS", "9"},
                             {"DB_HOST", "db.example"},
                             {"DB_PORT", "3307"},
                             {"DB_CONNECT_TIMEOUT_S", "2"},
                             {"DB_QUERY_TIMEOUT_S", "7"}});
    auto s = app::history_settings_from(c);
    EXPECT_EQ(s.aggregation.max_gap.count(), 120);
    EXPECT_EQ(s.aggregation.raw_retention_days, 0);
    EXPECT_EQ(s.max_rows, 1234u);
    EXPECT_EQ(s.utc_offset.count(), 9);
    auto o = app::database_options_from(c);
    EXPECT_EQ(o.kind, storage::dialect::mysql);
    EXPECT_EQ(o.mysql_host, "db.example");
    EXPECT_EQ(o.mysql_port, 3307u);
    EXPECT_EQ(o.connect_timeout.count(), 2);
    EXPECT_EQ(o.query_timeout.count(), 7);
}

TEST(HistoryConfig, OutOfRangeValuesNameTheVariable) {
    for (auto [name, value] : {std::pair{"AGGREGATE_MAX_GAP_S", "0"}, std::pair{"AGGREGATE_MAX_GAP_S", "3601"},
                               std::pair{"RAW_RETENTION_DAYS", "-1"}, std::pair{"HISTORY_MAX_ROWS", "5"},
                               std::pair{"UTC_OFFSET_HOURS", "15"}, std::pair{"DB_QUERY_TIMEOUT_S", "x"}}) {
        try {
            from_variables({{name, value}});
            ADD_FAILURE() << name << "=" << value << " accepted";
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    }
}

// Issue 11 A8: the gap no roll-up bridges reaches the aggregation's rule.
TEST(HistoryConfig, BridgeMaxReachesTheGapRule) {
    auto d = app::history_settings_from(from_variables({}));
    EXPECT_EQ(d.aggregation.bridge_max.count(), 7200);
    EXPECT_EQ(d.aggregation.margin().count(), 7200);
    auto s = app::history_settings_from(
        from_variables({{"AGGREGATE_MAX_GAP_S", "120"}, {"AGGREGATE_BRIDGE_MAX_S", "3600"}}));
    EXPECT_EQ(s.aggregation.max_gap.count(), 120);
    EXPECT_EQ(s.aggregation.bridge_max.count(), 3600);
    EXPECT_EQ(s.aggregation.margin().count(), 3600);
}
