// The market's store (domain::market::market_store) over storage::database,
// both dialects: market_orders, the seed's trade_history (one row per trade,
// with its order ids), and the ledger (append_ledger_entries). commit() is
// one write_alone transaction with bulk statements bound to vectors, so a
// group commit of many orders costs a handful of statements; its first is
// the guarded step of market_version (migration step 8) that lets several
// instances share the market (market_conflict when another moved it). Fails
// as database does: storage_unavailable, or storage_refused.
#pragma once

#include "domain/market/market_types.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

class sql_market_store final : public domain::market::market_store {
public:
    explicit sql_market_store(database& db) : db_(db) {}

    asio::awaitable<std::pair<std::int64_t, std::int64_t>> commit(domain::market::market_batch b) override;
    asio::awaitable<domain::market::market_snapshot> load() override;
    asio::awaitable<std::int64_t> version() override;
    asio::awaitable<std::vector<domain::market::order_record>> orders(std::optional<std::string> household,
                                                                     bool open_only, std::size_t limit) override;
    asio::awaitable<std::optional<domain::market::order_record>> order(std::int64_t id) override;
    asio::awaitable<std::vector<domain::market::trade_record>> trades(domain::market::trade_query q) override;
    asio::awaitable<std::vector<domain::market::posting_row>> postings(std::string holder, domain::time_point from,
                                                                      domain::time_point to) override;

private:
    database& db_;
};

}  // namespace solgrid::storage
