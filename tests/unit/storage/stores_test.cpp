// The reading and relay stores, and the database under them, against both
// backends (in-memory SQLite and a real MariaDB; see test_backends.hpp).
#include "storage/database.hpp"
#include "storage/sql_stores.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

using namespace solgrid;
namespace asio = boost::asio;
using test_support::backend;
using test_support::run;

namespace {

class Stores : public test_support::backend_test {};

TEST_P(Stores, ReadingsAppendAndLatest) {
    storage::sql_reading_store store(db());
    EXPECT_FALSE(run(ioc_, store.latest()));
    auto now = domain::clock::now();
    auto a = run(ioc_, store.append({85, 120, 35000}, now));
    auto b = run(ioc_, store.append({86, 121.5, 35001}, now + std::chrono::seconds(1)));
    EXPECT_GT(b.id, a.id);
    auto latest = run(ioc_, store.latest());
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->id, b.id);
    EXPECT_EQ(latest->value.soc, 86);
    EXPECT_DOUBLE_EQ(latest->value.solar_w, 121.5);
    EXPECT_DOUBLE_EQ(latest->value.lux, 35001);
    EXPECT_EQ(domain::to_iso8601(latest->at), domain::to_iso8601(now + std::chrono::seconds(1)));
}

TEST_P(Stores, ConcurrentAppendsAreAllCommittedInOneOrder) {
    storage::sql_reading_store store(db());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 200; ++i)
        asio::co_spawn(
            ioc_,
            [&, i]() -> asio::awaitable<void> {
                auto r = co_await store.append({i % 101, double(i), double(i)}, domain::clock::now());
                ids.push_back(r.id);
            },
            asio::detached);
    ioc_.run();
    ASSERT_EQ(ids.size(), 200u);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST_P(Stores, RelayHistoryNewestWins) {
    storage::sql_relay_store store(db());
    EXPECT_FALSE(run(ioc_, store.current()));
    run(ioc_, store.append({{true, false, false, false}}, domain::clock::now(), "api"));
    run(ioc_, store.append({{true, true, false, true}}, domain::clock::now(), "api"));
    auto cur = run(ioc_, store.current());
    ASSERT_TRUE(cur);
    EXPECT_EQ(*cur, (domain::relay_state{{true, true, false, true}}));
}

TEST_P(Stores, TheDatabaseRefusesOutOfRangeRowsAsRefusedNotUnavailable) {
    // Validation normally stops these; the schema's CHECK is the last line.
    // A refused row is the input's fault: storage_refused (4xx), never
    // storage_unavailable (503), and the database does not look down.
    storage::sql_reading_store store(db());
    EXPECT_THROW(run(ioc_, store.append({150, 1, 1}, domain::clock::now())), domain::storage_refused);
    EXPECT_THROW(run(ioc_, store.append({50, -1, 1}, domain::clock::now())), domain::storage_refused);
    EXPECT_TRUE(db().healthy());
    EXPECT_FALSE(db().problem());
    // A failed job alone fails; the next one goes through.
    EXPECT_NO_THROW(run(ioc_, store.append({50, 1, 1}, domain::clock::now())));
    EXPECT_TRUE(db().healthy());
}

TEST_P(Stores, DuplicateKeysAndMissingValuesAreRefused) {
    auto insert_id_7 = [](soci::session& s) {
        s << "INSERT INTO relay_status (id, A, B, C, D, source, created_at)"
             " VALUES (7, 1, 0, 0, 0, 'api', '2026-01-01 00:00:00.000')";
        return 0;
    };
    run(ioc_, db().write<int>(insert_id_7));
    try {
        run(ioc_, db().write<int>(insert_id_7));
        ADD_FAILURE() << "a duplicate key was accepted";
    } catch (const domain::storage_refused& e) {
        EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("while executing"), std::string::npos) << e.what();
    }
    EXPECT_THROW(run(ioc_, db().write<int>([](soci::session& s) {
                     s << "INSERT INTO relay_status (A, B, C, D, created_at) VALUES (1, 0, 0, NULL, "
                          "'2026-01-01 00:00:00.000')";
                     return 0;
                 })),
                 domain::storage_refused);
    EXPECT_TRUE(db().healthy());
    // Several writers in one group commit, one of them refused: only that
    // one fails, the others are stored.
    storage::sql_reading_store store(db());
    int stored = 0, refused = 0;
    for (int soc : {10, 200, 20})
        asio::co_spawn(
            ioc_,
            [&, soc]() -> asio::awaitable<void> {
                try {
                    co_await store.append({soc, 1, 1}, domain::clock::now());
                    ++stored;
                } catch (const domain::storage_refused&) {
                    ++refused;
                }
            },
            asio::detached);
    ioc_.restart();
    ioc_.run();
    EXPECT_EQ(stored, 2);
    EXPECT_EQ(refused, 1);
    EXPECT_TRUE(db().healthy());
}

TEST_P(Stores, OtherDatabaseErrorsStayUnavailable) {
    // Not a refused row: a statement the database cannot run at all.
    EXPECT_THROW(run(ioc_, db().write<int>([](soci::session& s) {
                     s << "INSERT INTO no_such_table (x) VALUES (1)";
                     return 0;
                 })),
                 domain::storage_unavailable);
}

TEST_P(Stores, SchemaHasTheSeedTablesAndTheRollUp) {
    auto names = run(ioc_, db().read<std::vector<std::string>>([this](soci::session& s) {
        std::vector<std::string> out;
        for (auto t : {"sun_data_realtime", "relay_status", "trade_history", "sun_data_hourly"}) {
            int n = -1;
            std::string name = t;
            if (GetParam() == backend::sqlite)
                s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :n", soci::use(name),
                    soci::into(n);
            else
                s << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                     " AND table_name = :n",
                    soci::use(name), soci::into(n);
            if (n == 1) out.push_back(t);
        }
        return out;
    }));
    EXPECT_EQ(names.size(), 4u) << ::testing::PrintToString(names);
}

INSTANTIATE_TEST_SUITE_P(Backends, Stores, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

TEST(SqliteFile, KeepsDataAcrossReopen) {
    auto path = std::filesystem::temp_directory_path() / ("solgrid-test-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    storage::database_options o;
    o.sqlite_path = path.string();
    asio::io_context ioc;
    {
        storage::database db(o);
        storage::sql_reading_store store(db);
        run(ioc, store.append({42, 1, 2}, domain::clock::now()));
    }
    {
        storage::database db(o);  // migrations run again: must be a no-op
        storage::sql_reading_store store(db);
        auto latest = run(ioc, store.latest());
        ASSERT_TRUE(latest);
        EXPECT_EQ(latest->value.soc, 42);
    }
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

}  // namespace
