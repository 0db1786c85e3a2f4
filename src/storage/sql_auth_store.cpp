#include "storage/sql_auth_store.hpp"

#include "storage/db_errors.hpp"
#include "storage/sql_stores.hpp"

#include <soci/soci.h>

namespace solgrid::storage {

namespace {

// Columns the schema bounds (MySQL VARCHAR sizes); the audit log truncates to
// them rather than lose a line. Cut on a UTF-8 boundary.
std::string clip(std::string s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    return s;
}

std::string or_now(domain::time_point t) {
    return to_db_time(t == domain::time_point{} ? domain::clock::now() : t);
}

std::string user_columns(dialect d) {
    return "u.id, u.username, u.role, u.household, u.password_hash, " + time_column(d, "u.created_at");
}

// One row of user_columns(), bound with into() so either backend converts.
struct user_row {
    long long id = 0;
    std::string username, role, household, password_hash, created_at;
    soci::indicator household_ind = soci::i_ok;

    domain::user get() const {
        domain::user u;
        u.id = id;
        u.username = username;
        auto r = domain::role_from(role);
        if (!r) throw domain::storage_unavailable("bad role in the users table: " + role);
        u.role_ = *r;
        if (household_ind == soci::i_ok && !household.empty()) u.household = household[0];
        u.password_hash = password_hash;
        u.created_at = from_db_time(created_at);
        return u;
    }
};

#define SOLGRID_INTO_USER(r)                                                                           \
    soci::into(r.id), soci::into(r.username), soci::into(r.role), soci::into(r.household, r.household_ind), \
        soci::into(r.password_hash), soci::into(r.created_at)

std::string token_columns(dialect d) {
    return "t.id, t.kind, t.name, t.user_id, " + time_column(d, "t.created_at") + ", " +
           time_column(d, "t.last_used_at") + ", " + time_column(d, "t.revoked_at");
}

struct token_row {
    long long id = 0, user_id = 0;
    std::string kind, name, created_at, last_used_at, revoked_at;
    soci::indicator user_ind = soci::i_ok, used_ind = soci::i_ok, revoked_ind = soci::i_ok;

    domain::api_token get() const {
        domain::api_token t;
        t.id = id;
        t.kind = kind == "user" ? domain::token_kind::user : domain::token_kind::device;
        t.name = name;
        if (user_ind == soci::i_ok) t.user_id = user_id;
        t.created_at = from_db_time(created_at);
        if (used_ind == soci::i_ok) t.last_used_at = from_db_time(last_used_at);
        if (revoked_ind == soci::i_ok) t.revoked_at = from_db_time(revoked_at);
        return t;
    }
};

#define SOLGRID_INTO_TOKEN(r)                                                                             \
    soci::into(r.id), soci::into(r.kind), soci::into(r.name), soci::into(r.user_id, r.user_ind),          \
        soci::into(r.created_at), soci::into(r.last_used_at, r.used_ind), soci::into(r.revoked_at, r.revoked_ind)

std::optional<long long> user_id_of(soci::session& s, const std::string& username) {
    long long id = 0;
    s << "SELECT id FROM users WHERE username = :n", soci::use(username), soci::into(id);
    if (!s.got_data()) return std::nullopt;
    return id;
}

std::optional<domain::user> user_by_id(soci::session& s, dialect d, long long id) {
    user_row r;
    s << "SELECT " + user_columns(d) + " FROM users u WHERE u.id = :id", soci::use(id), SOLGRID_INTO_USER(r);
    if (!s.got_data()) return std::nullopt;
    return r.get();
}

// A unique key of ours refused the row: `key` is the MySQL key name, `columns`
// SQLite's "table.column[, ...]". Checked on the error itself because a
// re-read would not see the other writer's row: InnoDB reads the snapshot
// the transaction started with.
bool duplicate_key(const soci::soci_error& e, const char* key, const char* columns) {
    if (!refused_row(e)) return false;
    const std::string what = e.what();
    return what.find(std::string("'") + key + "'") != std::string::npos ||
           what.find(std::string("UNIQUE constraint failed: ") + columns) != std::string::npos;
}

bool active_token_named(soci::session& s, const std::string& kind, const std::string& name) {
    int n = 0;
    s << "SELECT COUNT(*) FROM api_tokens WHERE kind = :k AND active_name = :n", soci::use(kind), soci::use(name),
        soci::into(n);
    return n > 0;
}

}  // namespace

// Jobs that read before they write (a name taken? a user there?) run alone:
// on SQLite that takes the write lock first, so a write by another process
// (`serve` beside the command line) in between makes them wait instead of
// failing with SQLITE_BUSY_SNAPSHOT. They are rare; nothing is lost by not
// batching them.

// ---- users -----------------------------------------------------------------

asio::awaitable<std::int64_t> sql_auth_store::count_users() {
    return db_.read<std::int64_t>([](soci::session& s) {
        long long n = 0;
        s << "SELECT COUNT(*) FROM users", soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

asio::awaitable<std::optional<domain::user>> sql_auth_store::find_user(std::string username) {
    const std::string sql = "SELECT " + user_columns(db_.kind()) + " FROM users u WHERE u.username = :n";
    return db_.read<std::optional<domain::user>>(
        [sql, username = std::move(username)](soci::session& s) -> std::optional<domain::user> {
            user_row r;
            s << sql, soci::use(username), SOLGRID_INTO_USER(r);
            if (!s.got_data()) return std::nullopt;
            return r.get();
        });
}

asio::awaitable<std::vector<domain::user>> sql_auth_store::list_users() {
    const std::string sql = "SELECT " + user_columns(db_.kind()) + " FROM users u ORDER BY u.username";
    return db_.read<std::vector<domain::user>>([sql](soci::session& s) {
        std::vector<domain::user> out;
        user_row r;
        soci::statement st = (s.prepare << sql, SOLGRID_INTO_USER(r));
        st.execute();
        while (st.fetch()) out.push_back(r.get());
        return out;
    });
}

asio::awaitable<std::int64_t> sql_auth_store::add_user(domain::user u) {
    return db_.write_alone<std::int64_t>([u = std::move(u)](soci::session& s) {
        const std::string& name = u.username;
        if (user_id_of(s, name)) throw domain::storage_refused("username taken");
        std::string role(domain::to_string(u.role_));
        std::string household = u.household ? std::string(1, *u.household) : std::string();
        soci::indicator household_ind = u.household ? soci::i_ok : soci::i_null;
        std::string hash = u.password_hash, created = or_now(u.created_at);
        try {
            s << "INSERT INTO users (username, role, household, password_hash, created_at)"
                 " VALUES (:n, :r, :h, :p, :c)",
                soci::use(name), soci::use(role), soci::use(household, household_ind), soci::use(hash),
                soci::use(created);
        } catch (const soci::soci_error& e) {
            // Another process added the name since our check.
            if (duplicate_key(e, "uq_users_username", "users.username")) throw domain::storage_refused("username taken");
            throw;
        }
        long long id = 0;
        s.get_last_insert_id("users", id);
        return static_cast<std::int64_t>(id);
    });
}

asio::awaitable<bool> sql_auth_store::set_password(std::string username, std::string password_hash) {
    return db_.write_alone<bool>([username = std::move(username), hash = std::move(password_hash)](soci::session& s) {
        auto id = user_id_of(s, username);
        if (!id) return false;
        s << "UPDATE users SET password_hash = :p WHERE id = :id", soci::use(hash), soci::use(*id);
        return true;
    });
}

asio::awaitable<bool> sql_auth_store::remove_user(std::string username) {
    return db_.write_alone<bool>([username = std::move(username)](soci::session& s) {
        auto id = user_id_of(s, username);
        if (!id) return false;
        // Explicit rather than relying on the foreign keys' actions alone:
        // the tokens are revoked (kept for the record), sessions go.
        std::string now = to_db_time(domain::clock::now());
        s << "DELETE FROM auth_sessions WHERE user_id = :id", soci::use(*id);
        s << "UPDATE api_tokens SET revoked_at = :at, active_name = NULL WHERE user_id = :id AND revoked_at IS NULL",
            soci::use(now), soci::use(*id);
        s << "DELETE FROM users WHERE id = :id", soci::use(*id);
        return true;
    });
}

// ---- sessions --------------------------------------------------------------

asio::awaitable<void> sql_auth_store::add_session(std::string token_hash, std::int64_t user_id,
                                                  domain::time_point created, domain::time_point expires) {
    auto job = [hash = std::move(token_hash), user = static_cast<long long>(user_id), c = to_db_time(created),
                e = to_db_time(expires)](soci::session& s) {
        s << "INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at) VALUES (:h, :u, :c, :e)",
            soci::use(hash), soci::use(user), soci::use(c), soci::use(e);
        return 0;
    };
    auto done = db_.write<int>(std::move(job));
    co_await std::move(done);
}

asio::awaitable<std::optional<domain::user>> sql_auth_store::session_user(std::string token_hash,
                                                                         domain::time_point now) {
    const std::string sql = "SELECT " + user_columns(db_.kind()) +
                            " FROM auth_sessions a JOIN users u ON u.id = a.user_id"
                            " WHERE a.token_hash = :h AND a.expires_at > :now";
    return db_.read<std::optional<domain::user>>(
        [sql, hash = std::move(token_hash), at = to_db_time(now)](soci::session& s) -> std::optional<domain::user> {
            user_row r;
            s << sql, soci::use(hash), soci::use(at), SOLGRID_INTO_USER(r);
            if (!s.got_data()) return std::nullopt;
            return r.get();
        });
}

asio::awaitable<void> sql_auth_store::remove_session(std::string token_hash) {
    auto job = [hash = std::move(token_hash)](soci::session& s) {
        s << "DELETE FROM auth_sessions WHERE token_hash = :h", soci::use(hash);
        return 0;
    };
    auto done = db_.write<int>(std::move(job));
    co_await std::move(done);
}

asio::awaitable<std::size_t> sql_auth_store::remove_expired_sessions(domain::time_point now) {
    return db_.write<std::size_t>([at = to_db_time(now)](soci::session& s) {
        soci::statement st = (s.prepare << "DELETE FROM auth_sessions WHERE expires_at <= :now", soci::use(at));
        st.execute(true);
        return static_cast<std::size_t>(st.get_affected_rows());
    });
}

// ---- tokens ----------------------------------------------------------------

asio::awaitable<std::int64_t> sql_auth_store::add_token(domain::api_token t, std::string token_hash) {
    return db_.write_alone<std::int64_t>([t = std::move(t), hash = std::move(token_hash)](soci::session& s) {
        const std::string kind(domain::to_string(t.kind));
        const std::string& name = t.name;
        const std::string taken = "an active token named " + name + " exists";
        if (active_token_named(s, kind, name)) throw domain::storage_refused(taken);
        long long user = t.user_id.value_or(0);
        soci::indicator user_ind = t.user_id ? soci::i_ok : soci::i_null;
        std::string created = or_now(t.created_at);
        try {
            s << "INSERT INTO api_tokens (kind, name, token_hash, user_id, created_at, active_name)"
                 " VALUES (:k, :n, :h, :u, :c, :a)",
                soci::use(kind), soci::use(name), soci::use(hash), soci::use(user, user_ind), soci::use(created),
                soci::use(name);
        } catch (const soci::soci_error& e) {
            if (duplicate_key(e, "uq_api_tokens_active", "api_tokens.kind, api_tokens.active_name"))
                throw domain::storage_refused(taken);
            throw;
        }
        long long id = 0;
        s.get_last_insert_id("api_tokens", id);
        return static_cast<std::int64_t>(id);
    });
}

asio::awaitable<std::optional<domain::auth_store::token_match>> sql_auth_store::find_token(std::string token_hash) {
    const dialect d = db_.kind();
    const std::string sql =
        "SELECT " + token_columns(d) + " FROM api_tokens t WHERE t.token_hash = :h AND t.revoked_at IS NULL";
    return db_.read<std::optional<token_match>>(
        [d, sql, hash = std::move(token_hash)](soci::session& s) -> std::optional<token_match> {
            token_row r;
            s << sql, soci::use(hash), SOLGRID_INTO_TOKEN(r);
            if (!s.got_data()) return std::nullopt;
            token_match m{r.get(), std::nullopt};
            if (m.token.kind == domain::token_kind::user) {
                if (!m.token.user_id) return std::nullopt;  // its user is gone
                m.owner = user_by_id(s, d, *m.token.user_id);
                if (!m.owner) return std::nullopt;
            }
            return m;
        });
}

asio::awaitable<std::vector<domain::api_token>> sql_auth_store::list_tokens(domain::token_kind kind) {
    const std::string sql = "SELECT " + token_columns(db_.kind()) + " FROM api_tokens t WHERE t.kind = :k ORDER BY t.name, t.id";
    return db_.read<std::vector<domain::api_token>>([sql, k = std::string(domain::to_string(kind))](soci::session& s) {
        std::vector<domain::api_token> out;
        token_row r;
        soci::statement st = (s.prepare << sql, soci::use(k), SOLGRID_INTO_TOKEN(r));
        st.execute();
        while (st.fetch()) out.push_back(r.get());
        return out;
    });
}

asio::awaitable<bool> sql_auth_store::revoke_token(domain::token_kind kind, std::string name, domain::time_point at) {
    return db_.write<bool>(
        [k = std::string(domain::to_string(kind)), name = std::move(name), ts = to_db_time(at)](soci::session& s) {
            soci::statement st = (s.prepare << "UPDATE api_tokens SET revoked_at = :at, active_name = NULL"
                                               " WHERE kind = :k AND active_name = :n",
                                  soci::use(ts), soci::use(k), soci::use(name));
            st.execute(true);
            return st.get_affected_rows() > 0;
        });
}

asio::awaitable<void> sql_auth_store::touch_token(std::int64_t id, domain::time_point at) {
    auto job = [id = static_cast<long long>(id), ts = to_db_time(at)](soci::session& s) {
        s << "UPDATE api_tokens SET last_used_at = :at WHERE id = :id", soci::use(ts), soci::use(id);
        return 0;
    };
    auto done = db_.write<int>(std::move(job));
    co_await std::move(done);
}

// ---- audit log -------------------------------------------------------------

asio::awaitable<domain::credential_snapshot> sql_auth_store::load_credentials(domain::time_point now) {
    const dialect d = db_.kind();
    const std::string users_sql = "SELECT " + user_columns(d) + " FROM users u";
    const std::string sessions_sql = "SELECT a.token_hash, a.user_id, " + time_column(d, "a.expires_at") +
                                     " FROM auth_sessions a WHERE a.expires_at > :now";
    const std::string tokens_sql =
        "SELECT " + token_columns(d) + ", t.token_hash FROM api_tokens t WHERE t.revoked_at IS NULL";
    return db_.read<domain::credential_snapshot>(
        [users_sql, sessions_sql, tokens_sql, at = to_db_time(now)](soci::session& s) {
            domain::credential_snapshot snap;
            {
                user_row r;
                soci::statement st = (s.prepare << users_sql, SOLGRID_INTO_USER(r));
                st.execute();
                while (st.fetch()) snap.users.push_back(r.get());
            }
            {
                std::string hash, expires;
                long long user = 0;
                soci::statement st =
                    (s.prepare << sessions_sql, soci::use(at), soci::into(hash), soci::into(user), soci::into(expires));
                st.execute();
                while (st.fetch()) snap.sessions.push_back({hash, user, from_db_time(expires)});
            }
            {
                token_row r;
                std::string hash;
                soci::statement st = (s.prepare << tokens_sql, SOLGRID_INTO_TOKEN(r), soci::into(hash));
                st.execute();
                while (st.fetch()) snap.tokens.push_back({r.get(), hash});
            }
            return snap;
        });
}

asio::awaitable<void> sql_auth_store::append_audit(domain::audit_entry e) {
    auto job = [at = or_now(e.at), actor = clip(std::move(e.actor), 128), address = clip(std::move(e.address), 64),
                action = clip(std::move(e.action), 64), target = clip(std::move(e.target), 128),
                outcome = clip(std::move(e.outcome), 16), detail = clip(std::move(e.detail), 1024)](soci::session& s) {
        s << "INSERT INTO audit_log (at, actor, address, action, target, outcome, detail)"
             " VALUES (:at, :actor, :address, :action, :target, :outcome, :detail)",
            soci::use(at), soci::use(actor), soci::use(address), soci::use(action), soci::use(target),
            soci::use(outcome), soci::use(detail);
        return 0;
    };
    auto done = db_.write<int>(std::move(job));
    co_await std::move(done);
}

asio::awaitable<std::vector<domain::audit_entry>> sql_auth_store::audit_between(domain::time_point from,
                                                                                domain::time_point to,
                                                                                std::size_t limit) {
    const std::string sql = "SELECT id, " + time_column(db_.kind(), "at") +
                            ", actor, address, action, target, outcome, detail FROM audit_log"
                            " WHERE at >= :f AND at < :t ORDER BY at, id LIMIT " +
                            std::to_string(limit);
    return db_.read<std::vector<domain::audit_entry>>(
        [sql, f = to_db_time(from), t = to_db_time(to), limit](soci::session& s) {
            std::vector<domain::audit_entry> out;
            if (limit == 0) return out;
            long long id = 0;
            std::string at;
            domain::audit_entry e;
            soci::statement st = (s.prepare << sql, soci::use(f), soci::use(t), soci::into(id), soci::into(at),
                                  soci::into(e.actor), soci::into(e.address), soci::into(e.action),
                                  soci::into(e.target), soci::into(e.outcome), soci::into(e.detail));
            st.execute();
            while (st.fetch()) {
                e.id = id;
                e.at = from_db_time(at);
                out.push_back(e);
            }
            return out;
        });
}

}  // namespace solgrid::storage

#undef SOLGRID_INTO_USER
#undef SOLGRID_INTO_TOKEN
