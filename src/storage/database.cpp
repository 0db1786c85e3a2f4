#include "storage/database.hpp"

#include "storage/migrations.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace solgrid::storage {

database::database(database_options opts) : opts_(std::move(opts)) {
    if (opts_.kind == dialect::sqlite) {
        single_session_ = opts_.sqlite_path == ":memory:";
        auto parent = std::filesystem::path(opts_.sqlite_path).parent_path();
        if (!single_session_ && !parent.empty()) std::filesystem::create_directories(parent);
    }
    auto writer = connect();
    migrate(*writer, opts_.kind);
    threads_.emplace_back([this, s = std::shared_ptr<soci::session>(std::move(writer))] { writer_loop(*s); });
    if (!single_session_)
        for (int i = 0; i < std::max(1, opts_.readers); ++i)
            threads_.emplace_back([this, s = std::shared_ptr<soci::session>(connect())] { reader_loop(*s); });
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

std::unique_ptr<soci::session> database::connect() {
    if (opts_.kind == dialect::sqlite) {
        auto s = std::make_unique<soci::session>(soci::sqlite3, "db=" + opts_.sqlite_path + " timeout=10");
        if (!single_session_) {
            *s << "PRAGMA journal_mode=WAL";
            // NORMAL with WAL: a commit survives a crash of solgrid; only an OS
            // crash can lose the last transactions, never corrupt the file.
            *s << "PRAGMA synchronous=NORMAL";
        }
        *s << "PRAGMA foreign_keys=ON";
        return s;
    }
    std::string conn = "host=" + opts_.mysql_host + " port=" + std::to_string(opts_.mysql_port) +
                       " dbname=" + opts_.mysql_database + " user=" + opts_.mysql_user +
                       " charset=utf8mb4 reconnect=1";
    if (!opts_.mysql_password.empty()) conn += " password='" + opts_.mysql_password + "'";
    return std::make_unique<soci::session>(soci::mysql, conn);
}

void database::with_session(const std::function<void(soci::session&)>& f) {
    auto s = connect();
    f(*s);
}

void database::submit_read(job work, done finish) {
    {
        std::lock_guard lock(mutex_);
        if (single_session_) {
            writes_.push_back({std::move(work), std::move(finish)});
        } else {
            reads_.emplace_back(std::move(work), std::move(finish));
        }
    }
    cv_.notify_all();
}

void database::submit_write(job work, done finish) {
    {
        std::lock_guard lock(mutex_);
        writes_.push_back({std::move(work), std::move(finish)});
    }
    cv_.notify_all();
}

std::exception_ptr database::translate(std::exception_ptr ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const soci::soci_error& e) {
        healthy_ = false;
        spdlog::error("database error: {}", e.what());
        return std::make_exception_ptr(domain::storage_unavailable(e.what()));
    } catch (...) {
        return std::current_exception();
    }
}

void database::reader_loop(soci::session& s) {
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
        try {
            item.first(s);
            healthy_ = true;
        } catch (...) {
            ep = translate(std::current_exception());
        }
        item.second(ep);
    }
}

void database::writer_loop(soci::session& s) {
    std::vector<write_job> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
            if (writes_.empty()) return;
            batch.swap(writes_);
        }
        run_batch(s, batch);
        batch.clear();
    }
}

void database::run_batch(soci::session& s, std::vector<write_job>& batch) {
    if (batch.size() > 1) {
        try {
            soci::transaction tx(s);
            for (auto& j : batch) j.work(s);
            tx.commit();
            healthy_ = true;
            for (auto& j : batch) j.finish(nullptr);
            return;
        } catch (...) {
            // Fall through: run each job on its own so only the bad one fails.
        }
    }
    for (auto& j : batch) {
        std::exception_ptr ep;
        try {
            soci::transaction tx(s);
            j.work(s);
            tx.commit();
            healthy_ = true;
        } catch (...) {
            ep = translate(std::current_exception());
        }
        j.finish(ep);
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
