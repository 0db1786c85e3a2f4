// MySQL sessions that the server drops are reopened, and the job that hit
// the dead session is run again on the fresh one (real MariaDB; see
// test_backends.hpp — without SOLGRID_TEST_MYSQL_HOST these tests fail).
#include "storage/database.hpp"
#include "storage/sql_stores.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>

#include <soci/mysql/soci-mysql.h>

using namespace solgrid;
namespace asio = boost::asio;
using test_support::backend;
using test_support::run;

namespace {

// Kills every server connection using `database`, as a restart would.
int kill_sessions(const storage::database_options& o) {
    std::string conn = "host=" + o.mysql_host + " port=" + std::to_string(o.mysql_port) + " user=" + o.mysql_user;
    if (!o.mysql_password.empty()) conn += " password='" + o.mysql_password + "'";
    soci::session admin(soci::mysql, conn);
    std::vector<long long> ids(100);
    std::string name = o.mysql_database;
    admin << "SELECT id FROM information_schema.processlist WHERE db = :d", soci::use(name), soci::into(ids);
    for (auto id : ids) admin << "KILL CONNECTION " + std::to_string(id);
    return static_cast<int>(ids.size());
}

TEST(MysqlReconnect, SessionsKilledByTheServerAreReopenedAndTheJobsRunAgain) {
    test_support::test_database target(backend::mysql);
    if (!target.ok) FAIL() << target.problem;
    storage::database db(target.options);
    storage::sql_reading_store store(db);
    asio::io_context ioc;
    run(ioc, store.append({10, 1, 1}, domain::clock::now()));
    ASSERT_TRUE(run(ioc, store.latest()));

    // The writer and both readers hold a session each.
    EXPECT_GE(kill_sessions(target.options), 3);

    // The next write meets a dead session before its COMMIT: retried on a
    // new one, stored once.
    auto stored = run(ioc, store.append({20, 2, 2}, domain::clock::now()));
    EXPECT_GT(stored.id, 0);
    for (int i = 0; i < 6; ++i) {  // every reader meets its dead session once
        auto latest = run(ioc, store.latest());
        ASSERT_TRUE(latest);
        EXPECT_EQ(latest->value.soc, 20);
    }
    EXPECT_TRUE(db.healthy());
    auto rows = run(ioc, db.read<long long>([](soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM sun_data_realtime", soci::into(n);
        return n;
    }));
    EXPECT_EQ(rows, 2);
}

TEST(MysqlReconnect, AnUnreachableServerFailsTheStartWithTheReason) {
    std::string why;
    auto o = test_support::mysql_server_options(why);
    if (!o) FAIL() << why;
    o->mysql_port = 1;  // nothing listens there
    o->mysql_database = "solgrid_unreachable";
    try {
        storage::database db(*o);
        FAIL() << "opened a database on port 1";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("connect"), std::string::npos) << e.what();
    }
}

}  // namespace
