// A file-backed SQLite database: PRAGMA synchronous follows DB_SYNC, and the
// database notices when its file or WAL is removed or replaced while open
// (writes then fail with storage_unavailable and healthy() says why), while
// normal neighbours -- another connection reading, a checkpoint, a second
// database object as `solgrid aggregate` opens, the sqlite3 CLI -- never
// trip that check.
#include "storage/database.hpp"
#include "storage/sql_stores.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace solgrid;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using test_support::run;

namespace {

class SqliteFileSafety : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("solgrid-sqlite-file-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "solgrid.db").string();
        opts_.sqlite_path = path_;
    }
    void TearDown() override {
        db_.reset();
        fs::remove_all(dir_);
    }
    storage::database& open() {
        db_ = std::make_unique<storage::database>(opts_);
        store_ = std::make_unique<storage::sql_reading_store>(*db_);
        return *db_;
    }
    domain::stored_reading append(int soc) { return run(ioc_, store_->append({soc, 1, 2}, domain::clock::now())); }
    long long count_rows() {
        return run(ioc_, db_->read<long long>([](soci::session& s) {
            long long n = 0;
            s << "SELECT COUNT(*) FROM sun_data_realtime", soci::into(n);
            return n;
        }));
    }
    int pragma_synchronous(bool on_writer) {
        auto q = [](soci::session& s) {
            int v = -1;
            s << "PRAGMA synchronous", soci::into(v);
            return v;
        };
        return on_writer ? run(ioc_, db_->write<int>(q)) : run(ioc_, db_->read<int>(q));
    }
    void expect_lost(const std::string& which) {
        EXPECT_THROW(append(60), domain::storage_unavailable);
        EXPECT_FALSE(db_->healthy());
        auto problem = db_->problem();
        ASSERT_TRUE(problem);
        EXPECT_NE(problem->find(which), std::string::npos) << *problem;
        EXPECT_NE(problem->find("replaced or removed while open"), std::string::npos) << *problem;
        // It stays failed: the next write and a read fail too.
        EXPECT_THROW(append(61), domain::storage_unavailable);
        EXPECT_THROW(count_rows(), domain::storage_unavailable);
        EXPECT_FALSE(db_->healthy());
    }

    fs::path dir_;
    std::string path_;
    storage::database_options opts_;
    asio::io_context ioc_;
    std::unique_ptr<storage::database> db_;
    std::unique_ptr<storage::sql_reading_store> store_;
};

TEST_F(SqliteFileSafety, SynchronousIsFullByDefault) {
    open();
    EXPECT_EQ(pragma_synchronous(true), 2);   // FULL, on the writer's session
    EXPECT_EQ(pragma_synchronous(false), 2);  // and on the readers'
}

TEST_F(SqliteFileSafety, SynchronousNormalWhenAskedFor) {
    opts_.sqlite_sync = storage::database_options::sync_mode::normal;
    open();
    EXPECT_EQ(pragma_synchronous(true), 1);
    EXPECT_EQ(pragma_synchronous(false), 1);
}

TEST_F(SqliteFileSafety, DeletedWalFailsTheNextWrite) {
    open();
    append(50);
    EXPECT_FALSE(db_->problem());
    ASSERT_TRUE(fs::remove(path_ + "-wal"));
    expect_lost("write-ahead log " + path_ + "-wal");
}

TEST_F(SqliteFileSafety, FileReplacedByACopyFailsTheNextWrite) {
    open();
    append(50);
    // What a restore from a backup does: copy aside, remove, copy back.
    fs::copy_file(path_, path_ + ".bak");
    fs::remove(path_);
    fs::remove(path_ + "-wal");
    fs::copy_file(path_ + ".bak", path_);
    expect_lost("database file " + path_);
}

TEST_F(SqliteFileSafety, NoticedWhileIdleToo) {
    opts_.health_interval = std::chrono::milliseconds(50);
    open();
    append(50);
    ASSERT_TRUE(fs::remove(path_ + "-wal"));
    // No request needed: the writer's idle check finds it (polled, no timing asserted).
    for (int i = 0; i < 400 && db_->healthy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    EXPECT_FALSE(db_->healthy());
    ASSERT_TRUE(db_->problem());
}

TEST_F(SqliteFileSafety, LostLocksThenTheSqliteCliDeletesTheWal) {
    // The probe's case: something in the process opened and closed the
    // database file (a static-file handler serving it), which drops every
    // POSIX lock the process held on it; the sqlite3 CLI then believes it is
    // the last connection and deletes the WAL on exit.
    open();
    append(50);
    int fd = ::open(path_.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ::close(fd);
    std::string cmd = "sqlite3 '" + path_ + "' 'SELECT COUNT(*) FROM sun_data_realtime' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs the sqlite3 command-line shell";
    ASSERT_FALSE(fs::exists(path_ + "-wal")) << "the CLI did not delete the WAL: the scenario did not happen";
    expect_lost("write-ahead log");
}

TEST_F(SqliteFileSafety, NeighboursDoNotTripTheCheck) {
    open();
    append(50);
    // Another connection reads and closes (what the sqlite3 CLI does).
    {
        soci::session other(soci::sqlite3, "db=" + path_);
        long long n = 0;
        other << "SELECT COUNT(*) FROM sun_data_realtime", soci::into(n);
        EXPECT_EQ(n, 1);
    }
    append(51);
    // The sqlite3 CLI itself, reading and checkpointing.
    std::string cmd = "sqlite3 '" + path_ + "' 'SELECT COUNT(*) FROM sun_data_realtime' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs the sqlite3 command-line shell";
    append(52);
    // Checkpoints that truncate the WAL, from a neighbour and from our own writer.
    {
        soci::session other(soci::sqlite3, "db=" + path_);
        other << "PRAGMA wal_checkpoint(TRUNCATE)";
    }
    append(53);
    run(ioc_, db_->write<int>([](soci::session& s) {
        s << "PRAGMA wal_checkpoint(TRUNCATE)";
        return 0;
    }));
    append(54);
    // A second database object on the same file, opened and closed, as
    // `solgrid aggregate` beside the server does.
    {
        storage::database second(opts_);
        storage::sql_reading_store second_store(second);
        asio::io_context ioc;
        run(ioc, second_store.append({55, 1, 2}, domain::clock::now()));
    }
    append(56);
    // A tool session of our own (with_session) opened and closed.
    db_->with_session([](soci::session& s) { s << "SELECT 1"; });
    append(57);
    EXPECT_TRUE(db_->healthy());
    EXPECT_FALSE(db_->problem());
    EXPECT_EQ(count_rows(), 8);
}

TEST_F(SqliteFileSafety, ReopeningAfterARestoreWorks) {
    open();
    append(50);
    fs::remove(path_ + "-wal");
    EXPECT_THROW(append(51), domain::storage_unavailable);
    db_.reset();
    // A restart opens the file as it is now.
    open();
    append(52);
    EXPECT_TRUE(db_->healthy());
}

}  // namespace

// An older solgrid started on a database a newer one migrated (a rollback
// without restoring the backup) must not write into a schema it does not
// know: it refuses to start and says what to do.
TEST_F(SqliteFileSafety, ASchemaNewerThanThisBinaryRefusesToStart) {
    open();
    append(50);
    run(ioc_, db_->write<int>([](soci::session& s) {
        s << "UPDATE schema_version SET version = 999";
        return 0;
    }));
    db_.reset();
    try {
        storage::database again(opts_);
        FAIL() << "opened a database with a newer schema";
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("schema version 999 is newer"), std::string::npos) << what;
        EXPECT_NE(what.find("backup"), std::string::npos) << what;
    }
}
