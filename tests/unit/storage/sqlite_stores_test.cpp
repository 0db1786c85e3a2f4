#include "storage/database.hpp"
#include "storage/sql_stores.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <filesystem>

using namespace solgrid;
namespace asio = boost::asio;

namespace {

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> a) {
    auto f = asio::co_spawn(ioc, std::move(a), asio::use_future);
    ioc.restart();
    ioc.run();
    return f.get();
}

storage::database_options memory() {
    storage::database_options o;
    o.sqlite_path = ":memory:";
    return o;
}

}  // namespace

TEST(SqliteStores, ReadingsAppendAndLatest) {
    storage::database db(memory());
    storage::sql_reading_store store(db);
    asio::io_context ioc;
    EXPECT_FALSE(run(ioc, store.latest()));
    auto now = domain::clock::now();
    auto a = run(ioc, store.append({85, 120, 35000}, now));
    auto b = run(ioc, store.append({86, 121.5, 35001}, now + std::chrono::seconds(1)));
    EXPECT_GT(b.id, a.id);
    auto latest = run(ioc, store.latest());
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->id, b.id);
    EXPECT_EQ(latest->value.soc, 86);
    EXPECT_DOUBLE_EQ(latest->value.solar_w, 121.5);
    EXPECT_EQ(domain::to_iso8601(latest->at), domain::to_iso8601(now + std::chrono::seconds(1)));
}

TEST(SqliteStores, ConcurrentAppendsAreAllCommittedInOneOrder) {
    storage::database db(memory());
    storage::sql_reading_store store(db);
    asio::io_context ioc;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 200; ++i)
        asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
            auto r = co_await store.append({i % 101, double(i), double(i)}, domain::clock::now());
            ids.push_back(r.id);
        }, asio::detached);
    ioc.run();
    ASSERT_EQ(ids.size(), 200u);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(SqliteStores, RelayHistoryNewestWins) {
    storage::database db(memory());
    storage::sql_relay_store store(db);
    asio::io_context ioc;
    EXPECT_FALSE(run(ioc, store.current()));
    run(ioc, store.append({{true, false, false, false}}, domain::clock::now(), "api"));
    run(ioc, store.append({{true, true, false, true}}, domain::clock::now(), "api"));
    auto cur = run(ioc, store.current());
    ASSERT_TRUE(cur);
    EXPECT_EQ(*cur, (domain::relay_state{{true, true, false, true}}));
}

TEST(SqliteStores, FileDatabaseKeepsDataAcrossReopen) {
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

TEST(SqliteStores, TheDatabaseRefusesOutOfRangeRowsAndReportsUnavailable) {
    // Validation normally stops these; the schema's CHECK is the last line.
    storage::database db(memory());
    storage::sql_reading_store store(db);
    asio::io_context ioc;
    EXPECT_THROW(run(ioc, store.append({150, 1, 1}, domain::clock::now())), domain::storage_unavailable);
    // A failed job alone fails; the next one goes through.
    EXPECT_NO_THROW(run(ioc, store.append({50, 1, 1}, domain::clock::now())));
}
