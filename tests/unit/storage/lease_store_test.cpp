// The lease_store over the `leases` table, against both backends (in-memory
// SQLite and a real MariaDB; see test_backends.hpp): acquire, renew, release,
// a second holder refused while the lease is valid, takeover once it expired
// (by the database's clock), a release by a non-holder changing nothing, and
// racing claims from two database handles (two writer threads, as two
// instances) for an absent row: exactly one wins.
#include "domain/lease.hpp"
#include "storage/sql_lease_store.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <filesystem>
#include <future>
#include <thread>

using namespace solgrid;
using namespace std::chrono_literals;
using test_support::backend;
using test_support::run;
namespace asio = boost::asio;

namespace {

class LeaseStore : public test_support::backend_test {
protected:
    // Seconds until the lease `name` expires, by the database's clock.
    double seconds_left(const std::string& name) {
        const bool mysql = GetParam() == backend::mysql;
        const std::string sql =
            mysql ? "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), expires_at) / 1e6 FROM leases WHERE name = :n"
                  : "SELECT (julianday(expires_at) - julianday('now')) * 86400.0 FROM leases WHERE name = :n";
        return run(ioc_, db().read<double>([sql, name](soci::session& s) {
            double left = 0;
            s << sql, soci::use(name), soci::into(left);
            return left;
        }));
    }
    // Moves the lease's expiry into the past, as a holder that stopped renewing.
    void expire(const std::string& name) {
        run(ioc_, db().write_alone<int>([name](soci::session& s) {
            s << "UPDATE leases SET expires_at = '2000-01-01 00:00:00.000' WHERE name = :n", soci::use(name);
            return 0;
        }));
    }
};

TEST_P(LeaseStore, AcquireRenewAndRelease) {
    storage::sql_lease_store leases(db());
    auto c = run(ioc_, leases.try_acquire("aggregation", "a:1:x", 60s));
    EXPECT_TRUE(c.held);
    EXPECT_EQ(c.holder, "a:1:x");
    EXPECT_GT(seconds_left("aggregation"), 50);
    EXPECT_LT(seconds_left("aggregation"), 61);
    // Renewals, twice within a millisecond too: still held, expiry moved on.
    c = run(ioc_, leases.try_acquire("aggregation", "a:1:x", 120s));
    EXPECT_TRUE(c.held);
    c = run(ioc_, leases.try_acquire("aggregation", "a:1:x", 120s));
    EXPECT_TRUE(c.held);
    EXPECT_GT(seconds_left("aggregation"), 110);
    run(ioc_, leases.release("aggregation", "a:1:x"));
    EXPECT_LT(seconds_left("aggregation"), 0);
    // Released: the next one takes it at once.
    c = run(ioc_, leases.try_acquire("aggregation", "b:2:y", 60s));
    EXPECT_TRUE(c.held);
    EXPECT_EQ(c.holder, "b:2:y");
}

TEST_P(LeaseStore, SecondHolderRefusedWhileValidAndTakesOverOnceExpired) {
    storage::sql_lease_store leases(db());
    ASSERT_TRUE(run(ioc_, leases.try_acquire("aggregation", "a:1:x", 60s)).held);
    auto c = run(ioc_, leases.try_acquire("aggregation", "b:2:y", 60s));
    EXPECT_FALSE(c.held);
    EXPECT_EQ(c.holder, "a:1:x");  // who runs it, for the log
    EXPECT_GT(seconds_left("aggregation"), 50);  // the refused claim changed nothing
    // Leases are independent by name.
    EXPECT_TRUE(run(ioc_, leases.try_acquire("market", "b:2:y", 60s)).held);
    expire("aggregation");  // a's process was killed or hung
    c = run(ioc_, leases.try_acquire("aggregation", "b:2:y", 60s));
    EXPECT_TRUE(c.held);
    EXPECT_EQ(c.holder, "b:2:y");
    // a comes back: refused, told who holds it now.
    c = run(ioc_, leases.try_acquire("aggregation", "a:1:x", 60s));
    EXPECT_FALSE(c.held);
    EXPECT_EQ(c.holder, "b:2:y");
}

TEST_P(LeaseStore, ExpiresByTheDatabaseClock) {
    storage::sql_lease_store leases(db());
    ASSERT_TRUE(run(ioc_, leases.try_acquire("aggregation", "a:1:x", 200ms)).held);
    while (seconds_left("aggregation") >= 0) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(run(ioc_, leases.try_acquire("aggregation", "b:2:y", 60s)).held);
}

TEST_P(LeaseStore, ReleaseByANonHolderDoesNothing) {
    storage::sql_lease_store leases(db());
    run(ioc_, leases.release("aggregation", "b:2:y"));  // no row: nothing to do, no error
    ASSERT_TRUE(run(ioc_, leases.try_acquire("aggregation", "a:1:x", 60s)).held);
    run(ioc_, leases.release("aggregation", "b:2:y"));
    EXPECT_GT(seconds_left("aggregation"), 50);
    EXPECT_FALSE(run(ioc_, leases.try_acquire("aggregation", "b:2:y", 60s)).held);
}

// Two database handles on one database (two writer threads, as two solgrid
// instances) claim the same absent lease at once, many times over.
TEST_P(LeaseStore, RacingClaimsForAnAbsentRowExactlyOneWins) {
    storage::database_options o = options();
    std::filesystem::path file;
    if (GetParam() == backend::sqlite) {  // :memory: is private to a connection: use a file
        file = std::filesystem::temp_directory_path() / ("solgrid-lease-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(file);
        o.sqlite_path = file.string();
    }
    {
        storage::database one(o), two(o);
        storage::sql_lease_store a(one), b(two);
        asio::io_context ioc(2);
        for (int round = 0; round < 25; ++round) {
            const std::string name = "race" + std::to_string(round);
            auto fa = asio::co_spawn(ioc, a.try_acquire(name, "a:1:x", 60s), asio::use_future);
            auto fb = asio::co_spawn(ioc, b.try_acquire(name, "b:2:y", 60s), asio::use_future);
            ioc.restart();
            std::thread helper([&ioc] { ioc.run(); });
            ioc.run();
            helper.join();
            auto ca = fa.get(), cb = fb.get();
            EXPECT_NE(ca.held, cb.held) << name;
            EXPECT_EQ(ca.holder, cb.holder) << name;
        }
        one.close();
        two.close();
    }
    if (!file.empty())
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, LeaseStore, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);
