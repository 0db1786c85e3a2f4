// The market's ledger (issue 13): every balance change is one append-only,
// double-entry entry whose postings sum to zero per unit (energy in integer
// Wh, money in integer minor units), hash-chained so tampering is detectable:
//   hash = hex SHA-256(prev_hash || canonical_bytes(entry)), genesis prev = 64 '0'.
// Pure functions and value types, callable from any thread; check() and
// verify() never throw for bad data, they report it. docs/market.md, "Ledger".
#pragma once

#include "domain/types.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::domain::market {

namespace asio = boost::asio;

// Households A-D and `pool` hold balances; the system accounts are the other
// side of flows that enter or leave the market: `solar` (source of credited
// energy), `consumption` (sink of consumed energy), `adjustment` (the other
// side of an admin's correction, energy and money). A trade moves energy and
// money between two holders and touches no system account.
bool is_holder_account(std::string_view a);
bool is_system_account(std::string_view a);
inline bool is_account(std::string_view a) { return is_holder_account(a) || is_system_account(a); }

enum class entry_kind { solar_credit, consumption_debit, trade, adjustment };
std::string_view to_string(entry_kind k);
std::optional<entry_kind> entry_kind_from(std::string_view s);

struct posting {
    std::string account;
    std::int64_t energy_wh = 0;  // + credits the account
    std::int64_t money = 0;      // minor units of MARKET_CURRENCY
    bool operator==(const posting&) const = default;
};

// An entry before it is chained (what a caller appends).
struct ledger_draft {
    entry_kind kind = entry_kind::adjustment;
    time_point at{};
    std::string reference;  // trade id, reading range, admin's reason
    bool estimated = false;  // consumption estimated from SoC, not metered
    std::vector<posting> postings;
};

// A stored entry: ids start at 1 and increase by one.
struct ledger_entry : ledger_draft {
    std::int64_t id = 0;
    std::string prev_hash, hash;
};

inline const std::string genesis_hash(64, '0');

// Why a draft cannot be appended (nullopt: it can): fewer than two postings,
// an unknown account, one account posted twice, a posting of zero, energy
// or money not summing to zero, a reference over 256 bytes.
std::optional<std::string> check(const ledger_draft& d);

// The draft with `at` floored to milliseconds (what storage keeps) and its
// postings in account order: the form that is hashed and stored.
ledger_draft normalise(ledger_draft d);

// Unambiguous bytes of an entry (id included, so a moved row breaks the chain):
// "solgrid-ledger-v1\n" id \n at_ms \n kind \n estimated \n len:reference \n
// then per posting account \t energy_wh \t money \n.
std::string canonical_bytes(const ledger_entry& e);
std::string chain_hash(std::string_view prev_hash, const ledger_entry& e);

// Chains a normalised draft after `prev` (nullopt: the first entry).
ledger_entry chain(const ledger_draft& d, const std::optional<ledger_entry>& prev);
ledger_entry chain(const ledger_draft& d, std::int64_t id, const std::string& prev_hash);

struct balance {
    std::int64_t energy_wh = 0, money = 0;
    bool operator==(const balance&) const = default;
};
using balances = std::map<std::string, balance>;

// Applies an entry's postings to running balances.
void add_postings(balances& b, const ledger_draft& d);

struct ledger_problem {
    enum class what { broken_link, bad_hash, bad_id, unbalanced, balance_mismatch } kind;
    std::int64_t entry_id = 0;  // 0 for balance_mismatch
    std::string account;        // balance_mismatch only
    std::string expected, found;
    std::string message;  // one line naming the row / account
};

struct verify_report {
    std::size_t entries = 0, accounts = 0;
    std::string head = genesis_hash;  // hash of the last entry
    std::vector<ledger_problem> problems;  // in the order found; first is the first broken
    bool ok() const { return problems.empty(); }
};

// Checks entries one by one in id order (streaming: memory does not grow
// with the ledger), then the stored balances against the sums.
class verifier {
public:
    void add(const ledger_entry& e);
    verify_report finish(const balances& stored);

private:
    verify_report r_;
    std::string prev_ = genesis_hash;
    std::int64_t last_id_ = 0;
    balances sums_;
};

verify_report verify(const std::vector<ledger_entry>& entries, const balances& stored);

// The ledger's storage (storage::sql_ledger_store). append() checks the draft
// (storage_refused with check()'s reason), reads the head, chains, stores the
// entry and updates the balances in one write transaction, serialised with
// every other append so the chain never forks. Failures as the other stores:
// storage_unavailable / storage_refused (domain/ports.hpp).
class ledger_store {
public:
    virtual ~ledger_store() = default;
    virtual asio::awaitable<ledger_entry> append(ledger_draft d) = 0;
    // Up to `limit` entries with id > after_id, in id order, postings included.
    virtual asio::awaitable<std::vector<ledger_entry>> entries_after(std::int64_t after_id, std::size_t limit) = 0;
    virtual asio::awaitable<balances> current_balances() = 0;
};

}  // namespace solgrid::domain::market
