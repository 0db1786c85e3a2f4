#include "storage/db_errors.hpp"

#include "storage/database.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace solgrid::storage {

namespace {

// MySQL/MariaDB client and server errors that mean "this connection is gone"
// (SOCI classifies only some of them as connection_error).
bool mysql_connection_errno(unsigned n) {
    switch (n) {
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
        return true;
    default:
        return false;
    }
}

}  // namespace

bool is_connection_error(const std::exception& e) {
    if (auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e))
        return m->get_error_category() == soci::soci_error::connection_error || mysql_connection_errno(m->err_num_);
    if (auto* s = dynamic_cast<const soci::soci_error*>(&e))
        return s->get_error_category() == soci::soci_error::connection_error;
    return false;
}

// Errors that say "this row is not acceptable", not "the database is not
// working": the job's input is at fault and the database stays healthy.
bool refused_row(const soci::soci_error& e) {
    if (auto* s = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
        switch (s->result() & 0xff) {
        case 18:  // SQLITE_TOOBIG
        case 19:  // SQLITE_CONSTRAINT (CHECK, NOT NULL, UNIQUE, FOREIGN KEY)
        case 20:  // SQLITE_MISMATCH
            return true;
        default:
            return false;
        }
    }
    if (auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
        switch (m->err_num_) {
        case 1048:  // ER_BAD_NULL_ERROR
        case 1062:  // ER_DUP_ENTRY
        case 1216:  // ER_NO_REFERENCED_ROW
        case 1217:  // ER_ROW_IS_REFERENCED
        case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
        case 1265:  // WARN_DATA_TRUNCATED
        case 1292:  // ER_TRUNCATED_WRONG_VALUE (bad date/time)
        case 1364:  // ER_NO_DEFAULT_FOR_FIELD
        case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
        case 1406:  // ER_DATA_TOO_LONG
        case 1451:  // ER_ROW_IS_REFERENCED_2
        case 1452:  // ER_NO_REFERENCED_ROW_2
        case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
        case 1690:  // ER_DATA_OUT_OF_RANGE
        case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
        case 4025:  // ER_CONSTRAINT_FAILED (MariaDB CHECK)
            return true;
        default:
            return false;
        }
    }
    return false;
}

// The database's own words without SOCI's "while executing ..." context or
// its backend prefix ("sqlite3_statement_backend::loadOne: ").
std::string plain_message(const soci::soci_error& e) {
    std::string m = e.get_error_message();
    if (auto colon = m.find(": "); colon != std::string::npos && m.compare(0, 8, "sqlite3_") == 0)
        m.erase(0, colon + 2);
    return m;
}

// MySQL client errors that mean "no server there (yet)" at start.
bool mysql_unreachable(const std::exception& e) {
    auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e);
    if (!m) return false;
    return m->err_num_ == 2005 /* CR_UNKNOWN_HOST */ || is_connection_error(e);
}

}  // namespace solgrid::storage
