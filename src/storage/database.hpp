// The database behind solgrid's stores: SQLite (embedded default) or
// MySQL/MariaDB, reached through SOCI. Owns its own threads so database work
// never runs on a network thread:
//   - readers: a pool of threads, each with its own SOCI session;
//   - one writer: takes every write queued so far and commits them in one
//     transaction (group commit), in submission order, then resumes each
//     waiter. A job that fails alone is retried alone so one bad job never
//     fails its neighbours. write_alone() jobs get a transaction of their own.
// read()/write() may be awaited from any executor; the result (or the
// exception, as domain::storage_unavailable for database errors) is delivered
// back on the awaiting coroutine's executor.
//
// Losing the server (MySQL restarted, network cut): a session that reports a
// lost connection is closed and opened again, never reused. A job that failed
// on a lost connection before its COMMIT was sent is retried once on a fresh
// session (nothing of it was committed); one that lost the connection during
// COMMIT fails (it may or may not be stored, so it is never reported stored).
// While the server stays unreachable, jobs fail at once with
// storage_unavailable and a new connection is tried at most every
// `reconnect_backoff` per thread. The writer pings an idle MySQL connection
// every `health_interval`, so healthy() follows the server within seconds and
// the pool is reconnected before the next request needs it.
//
// Refused rows: a row the database refuses (CHECK, NOT NULL, duplicate key,
// bad data) fails its job with domain::storage_refused and leaves the
// database healthy; everything else is domain::storage_unavailable.
//
// The SQLite file removed or replaced while open (see sqlite_file_watch): the
// writer checks the file and its WAL around every commit batch and every
// `health_interval` while idle. Once they changed, every job fails with
// storage_unavailable, healthy() stays false and problem() says why, until
// the process opens the database again (a restart).
//
// MySQL unreachable at start: the constructor keeps trying for
// `start_retry`, logging each attempt, then throws naming host:port.
#pragma once

#include "common/metrics.hpp"
#include "domain/ports.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace soci {
class session;
}

namespace solgrid::storage {

namespace asio = boost::asio;

class sqlite_file_watch;

enum class dialect { sqlite, mysql };

struct database_options {
    dialect kind = dialect::sqlite;
    std::string sqlite_path = "data/solgrid.db";  // ":memory:" for tests
    std::string mysql_host, mysql_user, mysql_password, mysql_database;
    unsigned mysql_port = 3306;
    int readers = 2;
    std::chrono::seconds connect_timeout{5};   // MySQL: opening a connection
    std::chrono::seconds query_timeout{30};    // MySQL: one network read or write
    std::chrono::milliseconds health_interval{2000};
    std::chrono::milliseconds reconnect_backoff{1000};
    // SQLite PRAGMA synchronous (WAL): full = a commit survives a power cut
    // or OS crash; normal = only a crash of the process (DB_SYNC).
    enum class sync_mode { full, normal } sqlite_sync = sync_mode::full;
    // MySQL: how long an unreachable server is retried at start (0: fail at once).
    std::chrono::seconds start_retry{0};
    std::chrono::milliseconds start_retry_interval{1000};
};

class database {
public:
    // Opens the connections and migrates the schema; throws on failure.
    // MySQL: creates the database named mysql_database if it does not exist
    // (needs the CREATE privilege; otherwise the error says so).
    explicit database(database_options opts);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    dialect kind() const { return opts_.kind; }
    const database_options& options() const { return opts_; }

    // Finishes queued work, then stops the threads and closes connections.
    void close();

    // False after a lost connection (or a failing SQLite file) until the next
    // success; MySQL is also pinged while idle. False for good once the
    // SQLite file was removed or replaced underneath.
    bool healthy() const { return healthy_.load() && !files_lost_.load(); }
    // Why healthy() is false (nullopt while healthy); any thread.
    std::optional<std::string> problem() const;

    // For /metrics: every write transaction's time from BEGIN to the end of
    // COMMIT (a group commit is one), and the write jobs that failed (their
    // callers got storage_unavailable or storage_refused). Any thread.
    struct write_stats {
        common::metrics::histogram commit_seconds{common::metrics::duration_buckets()};
        std::atomic<std::uint64_t> jobs_committed{0};
        std::atomic<std::uint64_t> jobs_failed{0};
    };
    const write_stats& writes() const { return wstats_; }

    template <class T, class F>
    asio::awaitable<T> read(F f) {
        return run<T>(std::move(f), job_kind::read);
    }
    template <class T, class F>
    asio::awaitable<T> write(F f) {
        return run<T>(std::move(f), job_kind::write);
    }
    // A write in a transaction of its own, never batched with others (for
    // work that must commit or fail alone, e.g. one hour of the roll-up).
    template <class T, class F>
    asio::awaitable<T> write_alone(F f) {
        return run<T>(std::move(f), job_kind::write_alone);
    }

    // Runs `f` synchronously on the calling thread with a fresh session of
    // its own (for start-up and command-line tools, never a network thread).
    void with_session(const std::function<void(soci::session&)>& f);

private:
    using job = std::function<void(soci::session&)>;
    using done = std::function<void(std::exception_ptr)>;
    enum class job_kind { read, write, write_alone };
    struct write_job {
        job work;
        done finish;
        bool alone = false;
    };
    // One thread's session; reopened after a lost connection.
    struct connection {
        std::unique_ptr<soci::session> session;
        std::chrono::steady_clock::time_point retry_at{};
    };

    template <class T, class F>
    asio::awaitable<T> run(F f, job_kind kind) {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, T)>(
            [this, kind, f = std::move(f)](auto handler) mutable {
                using handler_t = decltype(handler);
                auto h = std::make_shared<handler_t>(std::move(handler));
                auto ex = asio::get_associated_executor(*h);
                auto result = std::make_shared<T>();
                auto finish = [h, ex, result](std::exception_ptr ep) {
                    asio::post(ex, [h, ep, result]() mutable { std::move (*h)(ep, std::move(*result)); });
                };
                auto work = [f = std::move(f), result](soci::session& s) mutable { *result = f(s); };
                if (kind == job_kind::read)
                    submit_read(std::move(work), std::move(finish));
                else
                    submit_write(std::move(work), std::move(finish), kind == job_kind::write_alone);
            },
            asio::use_awaitable);
    }

    void submit_read(job work, done finish);
    void submit_write(job work, done finish, bool alone);
    std::unique_ptr<soci::session> connect();
    std::unique_ptr<soci::session> connect_at_start();
    std::unique_ptr<soci::session> connect_mysql(bool with_database);
    soci::session& ensure(connection& c);
    template <class Body>
    void attempt(connection& c, Body&& body, bool* in_doubt);
    void commit_one(connection& c, const job& work, bool alone);
    void probe(connection& c);
    void reader_loop(connection& c);
    void writer_loop(connection& c);
    void run_batch(connection& c, std::vector<write_job>& batch);
    void run_group(connection& c, std::vector<write_job>& batch, std::size_t begin, std::size_t end);
    void mark_healthy();
    void mark_unhealthy(const std::string& why);
    std::exception_ptr translate(std::exception_ptr ep);
    bool files_intact();
    void fail_jobs(std::vector<write_job>& batch, std::size_t begin, std::size_t end);

    database_options opts_;
    std::atomic<bool> healthy_{true};
    write_stats wstats_;
    std::atomic<bool> files_lost_{false};
    mutable std::mutex problem_mutex_;
    std::string last_problem_;   // why healthy_ went false
    std::string files_problem_;  // set once with files_lost_
    std::unique_ptr<sqlite_file_watch> watch_;  // file-backed SQLite only; writer thread
    std::chrono::steady_clock::time_point files_logged_{};
    std::size_t files_refused_ = 0;  // jobs failed since the last log line
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<job, done>> reads_;
    std::vector<write_job> writes_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
    // In-memory SQLite: one connection is one database, so reads share the
    // writer's session and run on the writer thread.
    bool single_session_ = false;
};

// "YYYY-MM-DD HH:MM:SS.mmm" in UTC: sortable text for SQLite, DATETIME(3)
// literal for MySQL.
std::string to_db_time(domain::time_point t);
domain::time_point from_db_time(const std::string& s);

// True when `e` (a soci_error) says the connection to the server is gone.
bool is_connection_error(const std::exception& e);

}  // namespace solgrid::storage
