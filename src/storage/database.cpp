#include "storage/database.hpp"

#include "storage/db_errors.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_file_watch.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace solgrid::storage {

namespace {

// Names we are willing to put into CREATE DATABASE unquoted-safe.
bool plain_identifier(const std::string& s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    });
}

}  // namespace

database::database(database_options opts) : opts_(std::move(opts)) {
    if (opts_.kind == dialect::sqlite) {
        single_session_ = opts_.sqlite_path == ":memory:";
        auto parent = std::filesystem::path(opts_.sqlite_path).parent_path();
        if (!single_session_ && !parent.empty()) std::filesystem::create_directories(parent);
    }
    auto writer = std::make_shared<connection>();
    writer->session = opts_.kind == dialect::mysql ? connect_at_start() : connect();
    migrate(*writer->session, opts_.kind);
    std::vector<std::shared_ptr<connection>> readers;
    if (!single_session_)
        for (int i = 0; i < std::max(1, opts_.readers); ++i) {
            readers.push_back(std::make_shared<connection>());
            readers.back()->session = connect();
        }
    // Every connection has the file open in WAL mode now: remember which file.
    if (opts_.kind == dialect::sqlite && !single_session_)
        watch_ = std::make_unique<sqlite_file_watch>(opts_.sqlite_path);
    threads_.emplace_back([this, writer] { writer_loop(*writer); });
    for (auto& r : readers) threads_.emplace_back([this, r] { reader_loop(*r); });
}

database::~database() { close(); }

void database::close() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

std::unique_ptr<soci::session> database::connect_mysql(bool with_database) {
    std::string conn = "host=" + opts_.mysql_host + " port=" + std::to_string(opts_.mysql_port) +
                       " user=" + opts_.mysql_user + " charset=utf8mb4" +
                       " connect_timeout=" + std::to_string(opts_.connect_timeout.count()) +
                       " read_timeout=" + std::to_string(opts_.query_timeout.count()) +
                       " write_timeout=" + std::to_string(opts_.query_timeout.count());
    if (with_database) conn += " dbname=" + opts_.mysql_database;
    if (!opts_.mysql_password.empty()) conn += " password='" + opts_.mysql_password + "'";
    // No `reconnect=1`: a silent client-side reconnect in the middle of a
    // transaction would run its remaining statements outside it. A lost
    // session is replaced by ensure() instead.
    auto s = std::make_unique<soci::session>(soci::mysql, conn);
    // DATETIME values are UTC text we write ourselves; keep the server from
    // converting, truncating or guessing.
    *s << "SET time_zone = '+00:00'";
    *s << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
          "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";
    return s;
}

std::unique_ptr<soci::session> database::connect() {
    if (opts_.kind == dialect::sqlite) {
        auto s = std::make_unique<soci::session>(soci::sqlite3, "db=" + opts_.sqlite_path + " timeout=10");
        if (!single_session_) {
            *s << "PRAGMA journal_mode=WAL";
            // FULL with WAL: every commit is fsynced before it is reported, so
            // it survives a power cut (group commit shares the fsync across a
            // batch). NORMAL: a commit survives a crash of solgrid; only an OS
            // crash or power cut can lose the last transactions, never corrupt
            // the file.
            if (opts_.sqlite_sync == database_options::sync_mode::full)
                *s << "PRAGMA synchronous=FULL";
            else
                *s << "PRAGMA synchronous=NORMAL";
        }
        *s << "PRAGMA foreign_keys=ON";
        return s;
    }
    try {
        return connect_mysql(true);
    } catch (const soci::mysql_soci_error& e) {
        if (e.err_num_ != 1049 || !plain_identifier(opts_.mysql_database)) throw;  // 1049: unknown database
    }
    spdlog::info("creating MySQL database `{}`", opts_.mysql_database);
    {
        auto admin = connect_mysql(false);
        *admin << "CREATE DATABASE IF NOT EXISTS `" + opts_.mysql_database +
                      "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
    }
    return connect_mysql(true);
}

std::unique_ptr<soci::session> database::connect_at_start() {
    // As for every MySQL client, "localhost" means the Unix socket, not TCP.
    const std::string where = opts_.mysql_host + ":" + std::to_string(opts_.mysql_port) +
                              (opts_.mysql_host == "localhost" ? " (localhost: the Unix socket; 127.0.0.1 for TCP)" : "");
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + opts_.start_retry;
    for (int attempt = 1;; ++attempt) {
        try {
            return connect();
        } catch (const std::exception& e) {
            if (!mysql_unreachable(e)) throw;
            auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
                throw std::runtime_error("cannot reach MySQL at " + where + " (DB_HOST:DB_PORT)" +
                                         (attempt > 1 ? " after " + std::to_string(waited) + " s" : std::string()) +
                                         ": " + e.what() +
                                         "; check that the server is running and DB_HOST/DB_PORT are right" +
                                         (opts_.start_retry.count() == 0 ? " (DB_START_RETRY_S=0: no retry)" : ""));
            }
            auto left = std::chrono::ceil<std::chrono::seconds>(deadline - now).count();
            spdlog::warn("cannot reach MySQL at {} (DB_HOST:DB_PORT), attempt {}: {}; retrying for up to {} s more "
                         "(DB_START_RETRY_S): check that the server is running and DB_HOST/DB_PORT are right",
                         where, attempt, e.what(), left);
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                opts_.start_retry_interval, deadline - now));
        }
    }
}

void database::with_session(const std::function<void(soci::session&)>& f) {
    auto s = connect();
    f(*s);
}

void database::submit_read(job work, done finish) {
    {
        std::lock_guard lock(mutex_);
        if (single_session_) {
            writes_.push_back({std::move(work), std::move(finish), false});
        } else {
            reads_.emplace_back(std::move(work), std::move(finish));
        }
    }
    cv_.notify_all();
}

void database::submit_write(job work, done finish, bool alone) {
    {
        std::lock_guard lock(mutex_);
        writes_.push_back({std::move(work), std::move(finish), alone});
    }
    cv_.notify_all();
}

void database::mark_healthy() {
    if (!healthy_.exchange(true)) spdlog::info("database reachable again");
}

void database::mark_unhealthy(const std::string& why) {
    {
        std::lock_guard lock(problem_mutex_);
        last_problem_ = why;
    }
    if (healthy_.exchange(false)) spdlog::error("database unavailable: {}", why);
}

std::optional<std::string> database::problem() const {
    std::lock_guard lock(problem_mutex_);
    if (files_lost_.load()) return files_problem_;
    if (!healthy_.load()) return last_problem_.empty() ? std::string("database unavailable") : last_problem_;
    return std::nullopt;
}

// Writer thread. False once the SQLite file or its WAL is no longer the one
// opened; that state is final (see database.hpp).
bool database::files_intact() {
    if (files_lost_.load()) return false;
    if (!watch_) return true;
    auto changed = watch_->check();
    if (!changed) return true;
    {
        std::lock_guard lock(problem_mutex_);
        files_problem_ = *changed;
    }
    files_lost_ = true;
    spdlog::error("DATABASE LOST: {}", *changed);
    files_logged_ = std::chrono::steady_clock::now();
    return false;
}

// Fails the jobs [begin, end) because the files were lost; logs at most
// every 5 s how many were refused, so the log says it loudly without flooding.
void database::fail_jobs(std::vector<write_job>& batch, std::size_t begin, std::size_t end) {
    std::string why;
    {
        std::lock_guard lock(problem_mutex_);
        why = files_problem_;
    }
    auto ep = std::make_exception_ptr(domain::storage_unavailable(why));
    for (std::size_t k = begin; k < end; ++k) batch[k].finish(ep);
    files_refused_ += end - begin;
    wstats_.jobs_failed.fetch_add(end - begin, std::memory_order_relaxed);
    auto now = std::chrono::steady_clock::now();
    if (now - files_logged_ >= std::chrono::seconds(5)) {
        spdlog::error("DATABASE LOST: {} database job(s) refused since the last report: {}", files_refused_, why);
        files_logged_ = now;
        files_refused_ = 0;
    }
}

soci::session& database::ensure(connection& c) {
    if (c.session) return *c.session;
    auto now = std::chrono::steady_clock::now();
    if (now < c.retry_at) throw domain::storage_unavailable("database unreachable; retrying shortly");
    try {
        c.session = connect();
        spdlog::debug("database session reopened");
        return *c.session;
    } catch (const std::exception& e) {
        c.retry_at = std::chrono::steady_clock::now() + opts_.reconnect_backoff;
        mark_unhealthy(e.what());
        throw domain::storage_unavailable(std::string("cannot connect to the database: ") + e.what());
    }
}

// Runs body(session, sent_commit) on the thread's connection. A lost
// connection closes the session; the body runs once more on a fresh one
// unless it had already sent its COMMIT: then the outcome is unknown,
// `*in_doubt` is set, and the error goes up.
template <class Body>
void database::attempt(connection& c, Body&& body, bool* in_doubt) {
    for (int round = 0;; ++round) {
        soci::session& s = ensure(c);
        bool sent_commit = false;
        try {
            body(s, sent_commit);
            return;
        } catch (const soci::soci_error& e) {
            if (!is_connection_error(e)) throw;
            c.session.reset();
            mark_unhealthy(e.what());
            if (sent_commit && in_doubt) *in_doubt = true;
            if (round > 0 || sent_commit) throw;
        }
    }
}

std::exception_ptr database::translate(std::exception_ptr ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const domain::storage_unavailable&) {
        return std::current_exception();
    } catch (const soci::soci_error& e) {
        // A refused row (CHECK, duplicate key, bad data) is the job's fault,
        // not the database's: storage_refused, and the database stays healthy.
        if (refused_row(e)) {
            spdlog::warn("database refused a row: {}", e.what());
            return std::make_exception_ptr(domain::storage_refused("the database refused the row: " + plain_message(e)));
        }
        // Lost connections and SQLite failures (I/O, disk full, read-only,
        // corrupt) mark it down; other MySQL errors leave that to the ping.
        if (opts_.kind == dialect::sqlite || is_connection_error(e)) mark_unhealthy(e.what());
        spdlog::error("database error: {}", e.what());
        return std::make_exception_ptr(domain::storage_unavailable(e.what()));
    } catch (...) {
        return std::current_exception();
    }
}

void database::reader_loop(connection& c) {
    for (;;) {
        std::pair<job, done> item;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !reads_.empty(); });
            if (reads_.empty()) return;  // stopping and drained
            item = std::move(reads_.front());
            reads_.pop_front();
        }
        std::exception_ptr ep;
        if (files_lost_.load()) {
            std::lock_guard lock(problem_mutex_);
            item.second(std::make_exception_ptr(domain::storage_unavailable(files_problem_)));
            continue;
        }
        try {
            // Reads change nothing: always safe to run again.
            attempt(c, [&](soci::session& s, bool&) { item.first(s); }, nullptr);
            mark_healthy();
        } catch (...) {
            ep = translate(std::current_exception());
        }
        item.second(ep);
    }
}

void database::probe(connection& c) {
    if (opts_.kind == dialect::sqlite) {
        files_intact();
        return;
    }
    try {
        attempt(c, [](soci::session& s, bool&) { s << "SELECT 1"; }, nullptr);
        mark_healthy();
    } catch (const std::exception& e) {
        spdlog::debug("database probe failed: {}", e.what());
    }
}

void database::writer_loop(connection& c) {
    std::vector<write_job> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            bool woke = cv_.wait_for(lock, opts_.health_interval, [&] { return stopping_ || !writes_.empty(); });
            if (!woke) {
                lock.unlock();
                probe(c);
                continue;
            }
            if (writes_.empty()) return;
            batch.swap(writes_);
        }
        run_batch(c, batch);
        batch.clear();
    }
}

void database::commit_one(connection& c, const job& work, bool alone) {
    // An alone job reads before it writes (the roll-up). On SQLite a plain
    // BEGIN would fail with SQLITE_BUSY_SNAPSHOT when another process (say
    // `solgrid aggregate` beside `solgrid serve`) commits in between; taking
    // the write lock up front makes it wait its turn instead.
    const bool immediate = alone && opts_.kind == dialect::sqlite;
    attempt(
        c,
        [&](soci::session& s, bool& sent_commit) {
            if (!immediate) {
                soci::transaction tx(s);
                work(s);
                sent_commit = true;
                tx.commit();
                return;
            }
            s << "BEGIN IMMEDIATE";
            try {
                work(s);
                sent_commit = true;
                s << "COMMIT";
            } catch (...) {
                try {
                    s << "ROLLBACK";
                } catch (...) {
                }
                throw;
            }
        },
        nullptr);
}

void database::run_batch(connection& c, std::vector<write_job>& batch) {
    // Consecutive ordinary writes share a transaction; an alone job is a
    // group by itself. Order is kept. Nothing is written into files that are
    // no longer the database's.
    if (!files_intact()) return fail_jobs(batch, 0, batch.size());
    std::size_t i = 0;
    while (i < batch.size()) {
        std::size_t j = i + 1;
        if (!batch[i].alone)
            while (j < batch.size() && !batch[j].alone) ++j;
        run_group(c, batch, i, j);
        i = j;
    }
}

void database::run_group(connection& c, std::vector<write_job>& batch, std::size_t begin, std::size_t end) {
    if (end - begin > 1) {
        bool in_doubt = false;
        try {
            auto started = std::chrono::steady_clock::now();
            attempt(
                c,
                [&](soci::session& s, bool& sent_commit) {
                    soci::transaction tx(s);
                    for (std::size_t k = begin; k < end; ++k) batch[k].work(s);
                    sent_commit = true;
                    tx.commit();
                },
                &in_doubt);
            wstats_.commit_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            wstats_.jobs_committed.fetch_add(end - begin, std::memory_order_relaxed);
            mark_healthy();
            // Committed, but into the right file? If it changed meanwhile the
            // rows may be in a deleted file: never report them stored.
            if (!files_intact()) return fail_jobs(batch, begin, end);
            for (std::size_t k = begin; k < end; ++k) batch[k].finish(nullptr);
            return;
        } catch (...) {
            if (in_doubt) {
                // The group may be committed: running its jobs again could
                // store them twice. Every job fails (never reported stored).
                auto ep = translate(std::current_exception());
                for (std::size_t k = begin; k < end; ++k) batch[k].finish(ep);
                wstats_.jobs_failed.fetch_add(end - begin, std::memory_order_relaxed);
                return;
            }
            // Otherwise run each job on its own so only the bad one fails.
        }
    }
    for (std::size_t k = begin; k < end; ++k) {
        if (!files_intact()) {
            fail_jobs(batch, k, k + 1);
            continue;
        }
        std::exception_ptr ep;
        try {
            auto started = std::chrono::steady_clock::now();
            commit_one(c, batch[k].work, batch[k].alone);
            wstats_.commit_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            wstats_.jobs_committed.fetch_add(1, std::memory_order_relaxed);
            mark_healthy();
        } catch (...) {
            ep = translate(std::current_exception());
            wstats_.jobs_failed.fetch_add(1, std::memory_order_relaxed);
        }
        if (!ep && !files_intact()) {
            fail_jobs(batch, k, k + 1);
            continue;
        }
        batch[k].finish(ep);
    }
}

std::string to_db_time(domain::time_point t) {
    // Same digits as ISO-8601 without the T and the zone.
    auto iso = domain::to_iso8601(t);  // 2026-11-26T14:25:28.123Z
    iso[10] = ' ';
    iso.pop_back();
    return iso;
}

domain::time_point from_db_time(const std::string& s) {
    if (auto t = domain::parse_iso8601(s)) return *t;
    throw std::runtime_error("bad timestamp in database: " + s);
}

}  // namespace solgrid::storage
