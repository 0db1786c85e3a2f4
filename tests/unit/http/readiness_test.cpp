#include "http/readiness.hpp"

#include <gtest/gtest.h>

using solgrid::http_api::readiness;
using solgrid::http_api::readiness_inputs;
namespace http = boost::beast::http;

TEST(Readiness, ReadyWhenDatabaseAnswersMigratedAndRunning) {
    auto v = readiness({std::nullopt, true, false});
    EXPECT_EQ(v.status, http::status::ok);
    EXPECT_TRUE(v.body.at("ready").as_bool());
    EXPECT_TRUE(v.body.at("database").as_object().at("ok").as_bool());
    EXPECT_FALSE(v.body.contains("not_ready"));
}

TEST(Readiness, ShuttingDownIsNotReady) {
    auto v = readiness({std::nullopt, true, true});
    EXPECT_EQ(v.status, http::status::service_unavailable);
    EXPECT_FALSE(v.body.at("ready").as_bool());
    EXPECT_TRUE(v.body.at("shutting_down").as_bool());
    EXPECT_EQ(v.body.at("not_ready").as_array(), boost::json::array{"shutting_down"});
}

TEST(Readiness, DatabaseProblemIsNamed) {
    auto v = readiness({std::string("mysql unreachable"), true, false});
    EXPECT_EQ(v.status, http::status::service_unavailable);
    EXPECT_EQ(v.body.at("database").as_object().at("problem").as_string(), "mysql unreachable");
    EXPECT_EQ(v.body.at("not_ready").as_array(), boost::json::array{"database"});
}

TEST(Readiness, EverythingWrongListsEverything) {
    auto v = readiness({std::string("gone"), false, true});
    EXPECT_EQ(v.status, http::status::service_unavailable);
    EXPECT_EQ(v.body.at("not_ready").as_array(), (boost::json::array{"database", "migrations", "shutting_down"}));
}
