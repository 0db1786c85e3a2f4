// Notices when the SQLite file or its write-ahead log is removed or replaced
// under an open database: another process deleted the WAL after this
// process's POSIX locks on the file were lost, someone restored a copy over
// the file, ... From then on commits would go into a deleted file while
// looking successful. Compares the (st_dev, st_ino) of both paths with what
// they were when the database was opened; a few stat() calls, no locks.
// Not thread-safe: one owner (the database's writer thread).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace solgrid::storage {

class sqlite_file_watch {
public:
    // Records the identity of `path` and `path-wal` as they are now (after
    // the connections opened the file in WAL mode).
    explicit sqlite_file_watch(std::string path);

    // nullopt while both files are the ones that were opened; otherwise a
    // sentence saying which file changed and how.
    std::optional<std::string> check();

    const std::string& path() const { return db_path_; }

private:
    struct identity {
        dev_t dev = 0;
        ino_t ino = 0;
    };
    static std::optional<identity> stat_path(const std::string& p);

    std::string db_path_, wal_path_;
    std::optional<identity> db_, wal_;
};

}  // namespace solgrid::storage
