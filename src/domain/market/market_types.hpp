// The market's records as they are stored and shown (issue 13): orders with
// their fill state, trades (one row of the seed's trade_history each), and
// the port the market service stores them through. Values only; any thread.
// docs/market.md, "The market service".
#pragma once

#include "domain/market/ledger.hpp"
#include "domain/market/order_book.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

namespace solgrid::domain::market {

namespace asio = boost::asio;

// "A".."D" or "pool" <-> the order book's one-byte account.
std::optional<account_id> account_from(std::string_view holder);
std::string holder_name(account_id a);

enum class record_status { open, filled, cancelled, expired };
std::string_view to_string(record_status s);
std::optional<record_status> record_status_from(std::string_view s);

// Why an order left the book without being filled.
enum class end_reason { none, user, ioc, self_trade, expired, insufficient_energy, repriced };
std::string_view to_string(end_reason r);  // "" for none
end_reason end_reason_from(std::string_view s);

std::string_view to_string(side s);
std::string_view to_string(time_in_force t);

struct order_record {
    std::int64_t id = 0;
    std::string household;  // "A".."D" or "pool"
    market::side side = side::buy;
    std::int64_t energy_wh = 0;
    std::int64_t filled_wh = 0;
    std::int64_t price = 0;
    time_in_force tif = time_in_force::gtc;
    record_status status = record_status::open;
    end_reason reason = end_reason::none;
    std::optional<time_point> expires_at;
    time_point created_at{}, updated_at{};
    bool operator==(const order_record&) const = default;
};

struct trade_record {
    std::int64_t id = 0;
    std::string buyer, seller;
    std::int64_t energy_wh = 0, price = 0, amount = 0;
    std::int64_t buy_order_id = 0, sell_order_id = 0;
    time_point at{};
    bool operator==(const trade_record&) const = default;
};

// The newest reading the market has settled (by whichever instance): the
// next reading's interval starts there. Stored with the market's version.
struct settle_point {
    time_point at{};
    reading value;
    std::array<std::optional<double>, 4> meter_wh;
};

// Several instances on one database (docs/market.md "Several instances"):
// a commit computed from a market state older than the stored one. Nothing
// of the batch was stored; the service rebuilds from the database and runs
// the requests again. Not a storage failure.
class market_conflict : public std::runtime_error {
public:
    market_conflict() : std::runtime_error("another instance changed the market since this one read it") {}
};

// Everything one group commit stores, in one transaction, in this order:
// the market's version (guarded: see market_store::commit), new orders,
// changed orders (their fill state as of the end of the batch), trades, the
// ledger entries (chained after the current head), the newest settled reading.
struct market_batch {
    std::int64_t version = 0;  // the stored market version this batch was computed from
    std::vector<order_record> new_orders;
    std::vector<order_record> changed_orders;
    std::vector<trade_record> trades;
    std::vector<ledger_draft> entries;
    std::optional<settle_point> settled;  // set when the batch settled a reading
    bool empty() const {
        return new_orders.empty() && changed_orders.empty() && trades.empty() && entries.empty() && !settled;
    }
};

// What the service rebuilds itself from at start, after a failed commit and
// when another instance changed the market.
struct market_snapshot {
    std::int64_t version = 0;               // read before everything else
    std::vector<order_record> open_orders;  // by id (= time priority)
    balances accounts;                      // market_accounts
    std::int64_t max_order_id = 0, max_trade_id = 0, ledger_head_id = 0;
    std::optional<std::int64_t> last_price;  // of the newest trade
    std::optional<settle_point> settled;
};

struct trade_query {
    std::optional<std::string> household;  // buyer or seller
    time_point from{}, to{};               // [from, to)
    std::size_t limit = 1000;
};

// One ledger posting of one holder, with its entry's time and kind
// (for statements).
struct posting_row {
    time_point at{};
    entry_kind kind = entry_kind::adjustment;
    bool estimated = false;
    std::int64_t energy_wh = 0, money = 0;
};

// The market's storage (storage::sql_market_store). Fails as the other
// stores: storage_unavailable, storage_refused.
class market_store {
public:
    virtual ~market_store() = default;
    // One transaction; nothing of the batch is stored when it throws.
    // Its first statement moves the stored market version from b.version to
    // b.version + 1, and only from there: when another instance committed
    // since (the stored version is not b.version) it throws market_conflict.
    // Returns the ids of the first and last ledger entries it appended
    // ({0, 0}: none), so the caller can tell whether someone else (the
    // `solgrid ledger adjust` CLI) appended in between.
    virtual asio::awaitable<std::pair<std::int64_t, std::int64_t>> commit(market_batch b) = 0;
    virtual asio::awaitable<market_snapshot> load() = 0;
    // The stored market version alone (one SELECT): has another instance
    // changed the market since this one loaded it?
    virtual asio::awaitable<std::int64_t> version() = 0;
    // Newest first. household empty: every household's.
    virtual asio::awaitable<std::vector<order_record>> orders(std::optional<std::string> household, bool open_only,
                                                              std::size_t limit) = 0;
    virtual asio::awaitable<std::optional<order_record>> order(std::int64_t id) = 0;
    virtual asio::awaitable<std::vector<trade_record>> trades(trade_query q) = 0;
    // The holder's postings with at in [from, to), oldest first.
    virtual asio::awaitable<std::vector<posting_row>> postings(std::string holder, time_point from, time_point to) = 0;
};

}  // namespace solgrid::domain::market
