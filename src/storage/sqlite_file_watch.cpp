#include "storage/sqlite_file_watch.hpp"

#include <sys/stat.h>


namespace solgrid::storage {

namespace {

std::string describe(const std::string& what, const std::string& path, ino_t was, const char* now) {
    return what + " " + path + " was replaced or removed while open (inode " + std::to_string(was) + ", now " +
           now + "); writes would be lost, so they fail until solgrid is restarted";
}

}  // namespace

sqlite_file_watch::sqlite_file_watch(std::string path)
    : db_path_(std::move(path)), wal_path_(db_path_ + "-wal"), db_(stat_path(db_path_)), wal_(stat_path(wal_path_)) {}

std::optional<sqlite_file_watch::identity> sqlite_file_watch::stat_path(const std::string& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return std::nullopt;
    return identity{st.st_dev, st.st_ino};
}

std::optional<std::string> sqlite_file_watch::check() {
    // The database file exists from the moment it is opened.
    if (db_) {
        auto now = stat_path(db_path_);
        if (!now) return describe("database file", db_path_, db_->ino, "missing");
        if (now->dev != db_->dev || now->ino != db_->ino)
            return describe("database file", db_path_, db_->ino, ("inode " + std::to_string(now->ino)).c_str());
    }
    // The WAL is created when the first connection opens the file in WAL
    // mode and deleted only when the last connection of all processes closes
    // it; checkpoints (even TRUNCATE) keep the same file. While this process
    // holds its connections it must therefore stay the same file.
    auto now = stat_path(wal_path_);
    if (!wal_) {
        wal_ = now;  // not there when opened (should not happen): adopt the first one seen
        return std::nullopt;
    }
    if (!now) return describe("write-ahead log", wal_path_, wal_->ino, "missing");
    if (now->dev != wal_->dev || now->ino != wal_->ino)
        return describe("write-ahead log", wal_path_, wal_->ino, ("inode " + std::to_string(now->ino)).c_str());
    return std::nullopt;
}

}  // namespace solgrid::storage
