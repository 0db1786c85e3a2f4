// How the database's errors are classified (SOCI errors of either dialect):
// a lost connection, a server not reachable at all, or a row the database
// refused (the input's fault; the database stays healthy). Pure functions.
#pragma once

#include <exception>
#include <string>

namespace soci {
class soci_error;
}

namespace solgrid::storage {

// A CHECK/NOT NULL/unique/foreign-key violation or bad data for a column.
bool refused_row(const soci::soci_error& e);

// The database's own words without SOCI's "while executing ..." context or
// its backend prefix.
std::string plain_message(const soci::soci_error& e);

// MySQL client errors that mean "no server there (yet)" (connect refused,
// unknown host, server gone).
bool mysql_unreachable(const std::exception& e);

}  // namespace solgrid::storage
