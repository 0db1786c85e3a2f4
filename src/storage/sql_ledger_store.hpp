// The market ledger's store (domain::market::ledger_store) over
// storage::database, both dialects: ledger_entries, ledger_postings and the
// running balances in market_accounts. Any executor may await it; the SQL runs
// on the database's threads. append() is a write_alone job: it reads the head
// (FOR UPDATE on MySQL; SQLite's BEGIN IMMEDIATE holds the write lock), chains
// the entry, inserts it with its postings and updates the balances in one
// transaction, so the chain never forks even with two processes appending
// (the primary key id = head + 1 refuses the loser). Fails as database does:
// storage_unavailable, or storage_refused (an unbalanced or malformed draft,
// with check()'s reason; a row the schema refuses).
#pragma once

#include "domain/market/ledger.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

// Chains `drafts` after the current head and stores them with their postings
// and the balance changes, inside the caller's transaction (which must hold
// the write lock: SQLite's writer, or FOR UPDATE on MySQL's head row).
// Returns the first and last ids ({0, 0} for none); `appended` gets the
// entries as stored when not null. Throws storage_refused for a bad draft.
std::pair<std::int64_t, std::int64_t> append_ledger_entries(soci::session& s, dialect d,
                                                            const std::vector<domain::market::ledger_draft>& drafts,
                                                            std::vector<domain::market::ledger_entry>* appended);

class sql_ledger_store final : public domain::market::ledger_store {
public:
    explicit sql_ledger_store(database& db) : db_(db) {}

    asio::awaitable<domain::market::ledger_entry> append(domain::market::ledger_draft d) override;
    asio::awaitable<std::vector<domain::market::ledger_entry>> entries_after(std::int64_t after_id,
                                                                            std::size_t limit) override;
    asio::awaitable<domain::market::balances> current_balances() override;

private:
    database& db_;
};

}  // namespace solgrid::storage
