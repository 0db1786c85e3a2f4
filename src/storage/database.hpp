// The database behind solgrid's stores: SQLite (embedded default) or
// MySQL/MariaDB, reached through SOCI. Owns its own threads so database work
// never runs on a network thread:
//   - readers: a small pool, each thread with its own SOCI session;
//   - one writer: takes every write queued so far and commits them in one
//     transaction (group commit), in submission order, then resumes each
//     waiter. A job that fails alone is retried alone so one bad job never
//     fails its neighbours.
// read()/write() may be awaited from any executor; the result (or the
// exception, as domain::storage_unavailable for database errors) is delivered
// back on the awaiting coroutine's executor.
#pragma once

#include "domain/ports.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace soci {
class session;
}

namespace solgrid::storage {

namespace asio = boost::asio;

enum class dialect { sqlite, mysql };

struct database_options {
    dialect kind = dialect::sqlite;
    std::string sqlite_path = "data/solgrid.db";  // ":memory:" for tests
    std::string mysql_host, mysql_user, mysql_password, mysql_database;
    unsigned mysql_port = 3306;
    int readers = 2;
};

class database {
public:
    // Opens the connections and migrates the schema; throws on failure.
    explicit database(database_options opts);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    dialect kind() const { return opts_.kind; }
    const database_options& options() const { return opts_; }

    // Finishes queued work, then stops the threads and closes connections.
    void close();

    // False after a database error until the next success.
    bool healthy() const { return healthy_.load(); }

    template <class T, class F>
    asio::awaitable<T> read(F f) {
        return run<T>(std::move(f), false);
    }
    template <class T, class F>
    asio::awaitable<T> write(F f) {
        return run<T>(std::move(f), true);
    }

    // Runs `f` synchronously on the calling thread with a fresh session of
    // its own (for start-up and command-line tools, never a network thread).
    void with_session(const std::function<void(soci::session&)>& f);

private:
    using job = std::function<void(soci::session&)>;
    using done = std::function<void(std::exception_ptr)>;
    struct write_job {
        job work;
        done finish;
    };

    template <class T, class F>
    asio::awaitable<T> run(F f, bool is_write) {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, T)>(
            [this, is_write, f = std::move(f)](auto handler) mutable {
                using handler_t = decltype(handler);
                auto h = std::make_shared<handler_t>(std::move(handler));
                auto ex = asio::get_associated_executor(*h);
                auto result = std::make_shared<T>();
                auto finish = [h, ex, result](std::exception_ptr ep) {
                    asio::post(ex, [h, ep, result]() mutable { std::move (*h)(ep, std::move(*result)); });
                };
                auto work = [f = std::move(f), result](soci::session& s) mutable { *result = f(s); };
                if (is_write)
                    submit_write(std::move(work), std::move(finish));
                else
                    submit_read(std::move(work), std::move(finish));
            },
            asio::use_awaitable);
    }

    void submit_read(job work, done finish);
    void submit_write(job work, done finish);
    std::unique_ptr<soci::session> connect();
    void reader_loop(soci::session& s);
    void writer_loop(soci::session& s);
    void run_batch(soci::session& s, std::vector<write_job>& batch);
    std::exception_ptr translate(std::exception_ptr ep);

    database_options opts_;
    std::atomic<bool> healthy_{true};
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

}  // namespace solgrid::storage
