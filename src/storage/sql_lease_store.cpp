#include "storage/sql_lease_store.hpp"

#include <soci/soci.h>

namespace solgrid::storage {

namespace {

// The database's clock now, and `ms` milliseconds later, as SQL of the
// dialect's time type ("YYYY-MM-DD HH:MM:SS.mmm" UTC text in SQLite, the same
// format to_db_time() writes; DATETIME(3) in MySQL, whose sessions run UTC).
std::string now_sql(dialect d) {
    return d == dialect::mysql ? "UTC_TIMESTAMP(3)" : "strftime('%Y-%m-%d %H:%M:%f', 'now')";
}
std::string later_sql(dialect d) {
    return d == dialect::mysql ? "TIMESTAMPADD(MICROSECOND, :ms * 1000, UTC_TIMESTAMP(3))"
                               : "strftime('%Y-%m-%d %H:%M:%f', 'now', (:ms / 1000.0) || ' seconds')";
}

}  // namespace

asio::awaitable<domain::lease_claim> sql_lease_store::try_acquire(std::string name, std::string holder,
                                                                  std::chrono::milliseconds ttl) {
    const auto d = db_.kind();
    const long long ms = ttl.count();
    // 1. Renew or take over an existing row: one UPDATE that only matches when
    // the caller holds it or it expired, then read back who holds it (the
    // UPDATE's row lock is held until commit, so the answer is current).
    // Reading back instead of counting affected rows: MySQL counts a renewal
    // within the same millisecond as "0 rows changed".
    const std::string update = "UPDATE leases SET holder = :h, expires_at = " + later_sql(d) +
                               " WHERE name = :n AND (holder = :h2 OR expires_at < " + now_sql(d) + ")";
    // Named awaitables, never temporaries inside co_await (GCC 12, README).
    auto renew = db_.write_alone<std::optional<std::string>>(
        [update, name, holder, ms](soci::session& s) -> std::optional<std::string> {
            s << update, soci::use(holder, "h"), soci::use(ms, "ms"), soci::use(name, "n"), soci::use(holder, "h2");
            std::string who;
            soci::statement st = (s.prepare << "SELECT holder FROM leases WHERE name = :n", soci::use(name),
                                  soci::into(who));
            if (!st.execute(true)) return std::nullopt;  // no row yet
            return who;
        });
    auto found = co_await std::move(renew);
    if (found) co_return domain::lease_claim{*found == holder, *found};
    // 2. No row yet: insert it. Of racing inserts the key lets exactly one in;
    // the others are ignored (0 rows), not failed. A transaction of its own
    // with this one statement: no lock is held while waiting for another.
    const std::string insert = std::string(d == dialect::mysql ? "INSERT IGNORE" : "INSERT OR IGNORE") +
                               " INTO leases (name, holder, expires_at) VALUES (:n, :h, " + later_sql(d) + ")";
    auto add = db_.write_alone<bool>([insert, name, holder, ms](soci::session& s) {
        soci::statement st = (s.prepare << insert, soci::use(name, "n"), soci::use(holder, "h"), soci::use(ms, "ms"));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
    bool inserted = co_await std::move(add);
    if (inserted) co_return domain::lease_claim{true, holder};
    auto current = db_.read<std::string>([name](soci::session& s) {
        std::string h;
        s << "SELECT holder FROM leases WHERE name = :n", soci::use(name), soci::into(h);
        return h;
    });
    auto who = co_await std::move(current);
    co_return domain::lease_claim{who == holder, who};
}

asio::awaitable<void> sql_lease_store::release(std::string name, std::string holder) {
    auto op = release_job(std::move(name), std::move(holder));
    co_await std::move(op);
}

asio::awaitable<int> sql_lease_store::release_job(std::string name, std::string holder) {
    // Expired at once (not deleted), so the next instance takes it over by UPDATE.
    const std::string sql =
        "UPDATE leases SET expires_at = '1970-01-01 00:00:00.000' WHERE name = :n AND holder = :h";
    return db_.write_alone<int>([sql, name = std::move(name), holder = std::move(holder)](soci::session& s) {
        s << sql, soci::use(name, "n"), soci::use(holder, "h");
        return 0;
    });
}

}  // namespace solgrid::storage
