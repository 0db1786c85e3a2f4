#include "domain/market/ledger.hpp"

#include "crypto/secrets.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <set>

namespace solgrid::domain::market {

namespace {

constexpr std::array<std::string_view, 5> holders{"A", "B", "C", "D", "pool"};
constexpr std::array<std::string_view, 3> systems{"solar", "consumption", "adjustment"};
constexpr std::size_t max_reference = 256;

std::string short_hash(const std::string& h) { return h.size() > 16 ? h.substr(0, 16) : h; }

}  // namespace

bool is_holder_account(std::string_view a) { return std::find(holders.begin(), holders.end(), a) != holders.end(); }
bool is_system_account(std::string_view a) { return std::find(systems.begin(), systems.end(), a) != systems.end(); }

std::string_view to_string(entry_kind k) {
    switch (k) {
        case entry_kind::solar_credit: return "solar_credit";
        case entry_kind::consumption_debit: return "consumption_debit";
        case entry_kind::trade: return "trade";
        case entry_kind::adjustment: return "adjustment";
    }
    return "adjustment";
}

std::optional<entry_kind> entry_kind_from(std::string_view s) {
    for (auto k : {entry_kind::solar_credit, entry_kind::consumption_debit, entry_kind::trade, entry_kind::adjustment})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::optional<std::string> check(const ledger_draft& d) {
    if (d.postings.size() < 2) return "an entry needs at least two postings";
    if (d.reference.size() > max_reference) return "reference longer than 256 bytes";
    std::set<std::string> seen;
    // Sums in __int128 so no pair of int64 amounts can overflow unnoticed.
    __int128 energy = 0, money = 0;
    for (const auto& p : d.postings) {
        if (!is_account(p.account)) return "unknown account '" + p.account + "'";
        if (!seen.insert(p.account).second) return "account " + p.account + " posted twice";
        if (p.energy_wh == 0 && p.money == 0) return "posting of zero to " + p.account;
        energy += p.energy_wh;
        money += p.money;
    }
    if (energy != 0) return "unbalanced: energy postings sum to " + std::to_string(static_cast<long long>(energy)) + " Wh";
    if (money != 0) return "unbalanced: money postings sum to " + std::to_string(static_cast<long long>(money));
    return std::nullopt;
}

ledger_draft normalise(ledger_draft d) {
    d.at = std::chrono::floor<std::chrono::milliseconds>(d.at);
    std::sort(d.postings.begin(), d.postings.end(),
              [](const posting& a, const posting& b) { return a.account < b.account; });
    return d;
}

std::string canonical_bytes(const ledger_entry& e) {
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(e.at).time_since_epoch().count();
    std::string out = "solgrid-ledger-v1\n";
    out += std::to_string(e.id) + "\n" + std::to_string(ms) + "\n";
    out += std::string(to_string(e.kind)) + "\n" + (e.estimated ? "1" : "0") + "\n";
    out += std::to_string(e.reference.size()) + ":" + e.reference + "\n";
    for (const auto& p : e.postings)
        out += p.account + "\t" + std::to_string(p.energy_wh) + "\t" + std::to_string(p.money) + "\n";
    return out;
}

std::string chain_hash(std::string_view prev_hash, const ledger_entry& e) {
    std::string bytes(prev_hash);
    bytes += canonical_bytes(e);
    return crypto::token_hash(bytes);
}

ledger_entry chain(const ledger_draft& d, std::int64_t id, const std::string& prev_hash) {
    ledger_entry e;
    static_cast<ledger_draft&>(e) = normalise(d);
    e.id = id;
    e.prev_hash = prev_hash;
    e.hash = chain_hash(prev_hash, e);
    return e;
}

ledger_entry chain(const ledger_draft& d, const std::optional<ledger_entry>& prev) {
    return prev ? chain(d, prev->id + 1, prev->hash) : chain(d, 1, genesis_hash);
}

void add_postings(balances& b, const ledger_draft& d) {
    for (const auto& p : d.postings) {
        auto& x = b[p.account];
        x.energy_wh += p.energy_wh;
        x.money += p.money;
    }
}

void verifier::add(const ledger_entry& e) {
    ++r_.entries;
    auto problem = [&](ledger_problem::what w, std::string expected, std::string found, std::string msg) {
        r_.problems.push_back({w, e.id, {}, std::move(expected), std::move(found), std::move(msg)});
    };
    const std::string row = "entry " + std::to_string(e.id);
    if (e.id != last_id_ + 1)
        problem(ledger_problem::what::bad_id, std::to_string(last_id_ + 1), std::to_string(e.id),
                row + ": expected id " + std::to_string(last_id_ + 1) + " (a row was deleted or renumbered)");
    if (e.prev_hash != prev_)
        problem(ledger_problem::what::broken_link, prev_, e.prev_hash,
                row + ": broken link: prev_hash " + short_hash(e.prev_hash) + "… but the previous entry hashes to " +
                    short_hash(prev_) + "…");
    const std::string h = chain_hash(e.prev_hash, e);
    if (h != e.hash)
        problem(ledger_problem::what::bad_hash, h, e.hash,
                row + ": contents changed: stored hash " + short_hash(e.hash) + "… but its contents hash to " +
                    short_hash(h) + "…");
    if (auto why = check(e))
        problem(ledger_problem::what::unbalanced, "", "", row + ": " + *why);
    add_postings(sums_, e);
    // Continue from the stored hash so one changed row is reported once, not
    // as every link after it.
    prev_ = e.hash;
    last_id_ = e.id;
    r_.head = e.hash;
}

verify_report verifier::finish(const balances& stored) {
    std::set<std::string> accounts;
    for (const auto& [a, _] : sums_) accounts.insert(a);
    for (const auto& [a, _] : stored) accounts.insert(a);
    r_.accounts = accounts.size();
    for (const auto& a : accounts) {
        auto s = sums_.count(a) ? sums_.at(a) : balance{};
        auto b = stored.count(a) ? stored.at(a) : balance{};
        if (s == b) continue;
        auto fmt = [](const balance& x) {
            return std::to_string(x.energy_wh) + " Wh, money " + std::to_string(x.money);
        };
        r_.problems.push_back({ledger_problem::what::balance_mismatch, 0, a, fmt(s), fmt(b),
                               "account " + a + ": balance " + fmt(b) + " but its postings sum to " + fmt(s)});
    }
    return r_;
}

verify_report verify(const std::vector<ledger_entry>& entries, const balances& stored) {
    verifier v;
    for (const auto& e : entries) v.add(e);
    return v.finish(stored);
}

}  // namespace solgrid::domain::market
