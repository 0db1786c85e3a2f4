// The two database backends every storage test runs against: in-memory
// SQLite, and a real MariaDB/MySQL whose coordinates come from the
// environment (SOLGRID_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD; `make test`
// starts one with scripts/mariadb-test-server and exports them). A MySQL test
// that finds no coordinates FAILS: it never skips silently.
// Each MySQL test gets a database of its own (created on open, dropped at the
// end), so tests may run in parallel against one server.
#pragma once

#include "../run_awaitable.hpp"
#include "storage/database.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <unistd.h>

namespace solgrid::test_support {

using test::run;

namespace asio = boost::asio;

enum class backend { sqlite, mysql };

inline std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
    return info.param == backend::sqlite ? "sqlite" : "mysql";
}

inline std::optional<storage::database_options> mysql_server_options(std::string& why_not) {
    const char* host = std::getenv("SOLGRID_TEST_MYSQL_HOST");
    if (!host || !*host) {
        why_not =
            "SOLGRID_TEST_MYSQL_HOST is not set: this test needs a MariaDB/MySQL server. Run `make test`, or "
            "`eval \"$(scripts/mariadb-test-server start)\"` before ctest (and `scripts/mariadb-test-server stop "
            "\"$SOLGRID_TEST_MYSQL_DIR\"` afterwards).";
        return std::nullopt;
    }
    storage::database_options o;
    o.kind = storage::dialect::mysql;
    o.mysql_host = host;
    if (const char* p = std::getenv("SOLGRID_TEST_MYSQL_PORT")) o.mysql_port = static_cast<unsigned>(std::atoi(p));
    if (const char* u = std::getenv("SOLGRID_TEST_MYSQL_USER")) o.mysql_user = u;
    if (const char* w = std::getenv("SOLGRID_TEST_MYSQL_PASSWORD")) o.mysql_password = w;
    o.readers = 2;
    o.connect_timeout = std::chrono::seconds(5);
    return o;
}

inline std::string unique_database_name() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    return "solgrid_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(rd() % 100000);
}

// Options for a fresh, empty database of the given backend; a MySQL database
// named here is dropped by drop_database().
struct test_database {
    storage::database_options options;
    bool ok = false;
    std::string problem;

    explicit test_database(backend b) {
        if (b == backend::sqlite) {
            options.sqlite_path = ":memory:";
            ok = true;
            return;
        }
        auto o = mysql_server_options(problem);
        if (!o) return;
        options = *o;
        options.mysql_database = unique_database_name();
        ok = true;
    }

    ~test_database() { drop(); }

    void drop() {
        if (!ok || options.kind != storage::dialect::mysql) return;
        try {
            std::string conn = "host=" + options.mysql_host + " port=" + std::to_string(options.mysql_port) +
                               " user=" + options.mysql_user;
            if (!options.mysql_password.empty()) conn += " password='" + options.mysql_password + "'";
            soci::session s(soci::mysql, conn);
            s << "DROP DATABASE IF EXISTS `" + options.mysql_database + "`";
        } catch (const std::exception& e) {
            ADD_FAILURE() << "could not drop test database " << options.mysql_database << ": " << e.what();
        }
        ok = false;
    }
};


// Undoes migration step 6 (the market's orders and trade_history's order
// ids), for tests that rewind schema_version to an older step.
inline void undo_market_orders_step(soci::session& s, bool mysql) {
    s << "DROP TABLE market_orders";
    if (mysql) {
        s << "ALTER TABLE trade_history DROP INDEX idx_trade_history_created, DROP COLUMN buy_order_id,"
             " DROP COLUMN sell_order_id";
    } else {
        s << "DROP INDEX idx_trade_history_created";
        s << "ALTER TABLE trade_history DROP COLUMN buy_order_id";
        s << "ALTER TABLE trade_history DROP COLUMN sell_order_id";
    }
}

// Fixture base: GetParam() picks the backend; db() is opened in SetUp.
class backend_test : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override {
        target_ = std::make_unique<test_database>(GetParam());
        if (!target_->ok) FAIL() << target_->problem;
        db_ = std::make_unique<storage::database>(target_->options);
    }
    void TearDown() override {
        if (db_) db_->close();
        db_.reset();
        target_.reset();
    }
    storage::database& db() { return *db_; }
    const storage::database_options& options() const { return target_->options; }

    asio::io_context ioc_;
    std::unique_ptr<test_database> target_;
    std::unique_ptr<storage::database> db_;
};

}  // namespace solgrid::test_support
