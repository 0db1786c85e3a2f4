#include "storage/sql_ledger_store.hpp"

#include "domain/ports.hpp"
#include "storage/sql_stores.hpp"

#include <soci/soci.h>

#include <map>

namespace solgrid::storage {

namespace market = domain::market;

std::pair<std::int64_t, std::int64_t> append_ledger_entries(soci::session& s, dialect d,
                                                            const std::vector<market::ledger_draft>& drafts,
                                                            std::vector<market::ledger_entry>* appended) {
    if (drafts.empty()) return {0, 0};
    for (const auto& dr : drafts)
        if (auto why = market::check(dr)) throw domain::storage_refused(*why);
    long long last_id = 0;
    std::string last_hash;
    s << std::string("SELECT id, hash FROM ledger_entries ORDER BY id DESC LIMIT 1") +
             (d == dialect::mysql ? " FOR UPDATE" : ""),
        soci::into(last_id), soci::into(last_hash);
    if (!s.got_data()) {
        last_id = 0;
        last_hash = market::genesis_hash;
    }
    // Bulk statements (one prepared statement per table, bound to vectors):
    // a group commit of many trades costs a few statements, not a few per trade.
    std::vector<long long> ids, est;
    std::vector<std::string> ats, kinds, refs, prevs, hashes;
    std::vector<long long> p_entry, p_energy, p_money;
    std::vector<std::string> p_account;
    std::map<std::string, std::pair<long long, long long>> deltas;
    const std::int64_t first = last_id + 1;
    for (const auto& dr : drafts) {
        auto e = market::chain(dr, last_id + 1, last_hash);
        last_id = e.id;
        last_hash = e.hash;
        ids.push_back(e.id);
        ats.push_back(to_db_time(e.at));
        kinds.emplace_back(market::to_string(e.kind));
        refs.push_back(e.reference);
        est.push_back(e.estimated ? 1 : 0);
        prevs.push_back(e.prev_hash);
        hashes.push_back(e.hash);
        for (const auto& p : e.postings) {
            p_entry.push_back(e.id);
            p_account.push_back(p.account);
            p_energy.push_back(p.energy_wh);
            p_money.push_back(p.money);
            auto& x = deltas[p.account];
            x.first += p.energy_wh;
            x.second += p.money;
        }
        if (appended) appended->push_back(std::move(e));
    }
    s << "INSERT INTO ledger_entries (id, at, kind, reference, estimated, prev_hash, hash)"
         " VALUES (:id, :at, :k, :r, :est, :p, :h)",
        soci::use(ids), soci::use(ats), soci::use(kinds), soci::use(refs), soci::use(est), soci::use(prevs),
        soci::use(hashes);
    s << "INSERT INTO ledger_postings (entry_id, account, energy_wh, money) VALUES (:id, :a, :e, :m)",
        soci::use(p_entry), soci::use(p_account), soci::use(p_energy), soci::use(p_money);
    for (auto& [account, delta] : deltas) {
        if (delta.first == 0 && delta.second == 0) continue;
        int n = 0;
        std::string a = account;
        s << "SELECT COUNT(*) FROM market_accounts WHERE account = :a", soci::use(a), soci::into(n);
        if (n == 0)
            s << "INSERT INTO market_accounts (account, energy_wh, money) VALUES (:a, :e, :m)", soci::use(a),
                soci::use(delta.first), soci::use(delta.second);
        else
            s << "UPDATE market_accounts SET energy_wh = energy_wh + :e, money = money + :m WHERE account = :a",
                soci::use(delta.first), soci::use(delta.second), soci::use(a);
    }
    return {first, last_id};
}

asio::awaitable<market::ledger_entry> sql_ledger_store::append(market::ledger_draft d) {
    if (auto why = market::check(d)) throw domain::storage_refused(*why);
    const dialect kind = db_.kind();
    return db_.write_alone<market::ledger_entry>([d = std::move(d), kind](soci::session& s) {
        std::vector<market::ledger_entry> out;
        append_ledger_entries(s, kind, {d}, &out);
        return out.front();
    });
}

asio::awaitable<std::vector<market::ledger_entry>> sql_ledger_store::entries_after(std::int64_t after_id,
                                                                                  std::size_t limit) {
    const dialect d = db_.kind();
    return db_.read<std::vector<market::ledger_entry>>([after_id, limit, d](soci::session& s) {
        std::vector<market::ledger_entry> out;
        long long from = after_id, n = static_cast<long long>(limit), id = 0;
        std::string at, kind, reference, prev, hash;
        int estimated = 0;
        soci::statement st = (s.prepare << "SELECT id, " + time_column(d, "at") +
                                               ", kind, reference, estimated, prev_hash, hash FROM ledger_entries"
                                               " WHERE id > :from ORDER BY id LIMIT :n",
                              soci::use(from), soci::use(n), soci::into(id), soci::into(at), soci::into(kind),
                              soci::into(reference), soci::into(estimated), soci::into(prev), soci::into(hash));
        st.execute();
        while (st.fetch()) {
            market::ledger_entry e;
            e.id = id;
            e.at = from_db_time(at);
            // An unknown kind is kept as a verify problem rather than a crash:
            // the hash over the stored kind text will not match.
            auto k = market::entry_kind_from(kind);
            e.kind = k ? *k : market::entry_kind::adjustment;
            if (!k) e.reference = "\x01unknown kind " + kind;
            else e.reference = reference;
            e.estimated = estimated != 0;
            e.prev_hash = prev;
            e.hash = hash;
            out.push_back(std::move(e));
        }
        if (out.empty()) return out;
        long long first = out.front().id, last = out.back().id, entry = 0, energy = 0, money = 0;
        std::string account;
        soci::statement ps = (s.prepare << "SELECT entry_id, account, energy_wh, money FROM ledger_postings"
                                           " WHERE entry_id BETWEEN :a AND :b ORDER BY entry_id, account",
                              soci::use(first), soci::use(last), soci::into(entry), soci::into(account),
                              soci::into(energy), soci::into(money));
        ps.execute();
        std::size_t i = 0;
        while (ps.fetch()) {
            while (i < out.size() && out[i].id < entry) ++i;
            if (i == out.size()) break;
            if (out[i].id == entry) out[i].postings.push_back({account, energy, money});
        }
        return out;
    });
}

asio::awaitable<market::balances> sql_ledger_store::current_balances() {
    return db_.read<market::balances>([](soci::session& s) {
        market::balances out;
        std::string account;
        long long energy = 0, money = 0;
        soci::statement st = (s.prepare << "SELECT account, energy_wh, money FROM market_accounts ORDER BY account",
                              soci::into(account), soci::into(energy), soci::into(money));
        st.execute();
        while (st.fetch()) out[account] = {energy, money};
        return out;
    });
}

}  // namespace solgrid::storage
