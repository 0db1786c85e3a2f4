#include "storage/sql_ledger_store.hpp"

#include "domain/ports.hpp"
#include "storage/sql_stores.hpp"

#include <soci/soci.h>

namespace solgrid::storage {

namespace market = domain::market;

asio::awaitable<market::ledger_entry> sql_ledger_store::append(market::ledger_draft d) {
    if (auto why = market::check(d)) throw domain::storage_refused(*why);
    const bool mysql = db_.kind() == dialect::mysql;
    return db_.write_alone<market::ledger_entry>([d = std::move(d), mysql](soci::session& s) {
        long long last_id = 0;
        std::string last_hash;
        s << std::string("SELECT id, hash FROM ledger_entries ORDER BY id DESC LIMIT 1") + (mysql ? " FOR UPDATE" : ""),
            soci::into(last_id), soci::into(last_hash);
        if (!s.got_data()) {
            last_id = 0;
            last_hash = market::genesis_hash;
        }
        auto e = market::chain(d, last_id + 1, last_hash);
        long long id = e.id;
        std::string at = to_db_time(e.at), kind(market::to_string(e.kind));
        int estimated = e.estimated ? 1 : 0;
        s << "INSERT INTO ledger_entries (id, at, kind, reference, estimated, prev_hash, hash)"
             " VALUES (:id, :at, :k, :r, :est, :p, :h)",
            soci::use(id), soci::use(at), soci::use(kind), soci::use(e.reference), soci::use(estimated),
            soci::use(e.prev_hash), soci::use(e.hash);
        for (const auto& p : e.postings) {
            long long energy = p.energy_wh, money = p.money;
            s << "INSERT INTO ledger_postings (entry_id, account, energy_wh, money) VALUES (:id, :a, :e, :m)",
                soci::use(id), soci::use(p.account), soci::use(energy), soci::use(money);
            int n = 0;
            s << "SELECT COUNT(*) FROM market_accounts WHERE account = :a", soci::use(p.account), soci::into(n);
            if (n == 0)
                s << "INSERT INTO market_accounts (account, energy_wh, money) VALUES (:a, :e, :m)",
                    soci::use(p.account), soci::use(energy), soci::use(money);
            else
                s << "UPDATE market_accounts SET energy_wh = energy_wh + :e, money = money + :m WHERE account = :a",
                    soci::use(energy), soci::use(money), soci::use(p.account);
        }
        return e;
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
