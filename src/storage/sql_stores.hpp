// SOCI implementations of the domain's stores over storage::database, for
// both dialects. Thread-safety and failure as database: any executor may
// await them; database errors surface as domain::storage_unavailable, a row
// the database refused (CHECK, duplicate key) as domain::storage_refused.
#pragma once

#include "domain/ports.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

// SQL for a DATETIME/TEXT column read back as "YYYY-MM-DD HH:MM:SS[.ffffff]".
std::string time_column(dialect d, const std::string& column);

class sql_reading_store final : public domain::reading_store {
public:
    explicit sql_reading_store(database& db) : db_(db) {}
    asio::awaitable<domain::stored_reading> append(domain::reading r, domain::time_point at) override;
    asio::awaitable<std::optional<domain::stored_reading>> latest() override;

private:
    database& db_;
};

class sql_relay_store final : public domain::relay_store {
public:
    explicit sql_relay_store(database& db) : db_(db) {}
    asio::awaitable<std::optional<domain::relay_state>> current() override;
    asio::awaitable<std::int64_t> append(domain::relay_state s, domain::time_point at, std::string source) override;

private:
    database& db_;
};

}  // namespace solgrid::storage
