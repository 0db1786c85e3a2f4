// The access-control store (users, sessions, tokens, audit log) against both
// backends (in-memory SQLite and a real MariaDB; see test_backends.hpp), and
// migration step 4 over a database the previous schema created.
#include "storage/database.hpp"
#include "storage/sql_auth_store.hpp"
#include "test_backends.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <filesystem>

using namespace solgrid;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using test_support::backend;
using test_support::run;

namespace {

domain::time_point at(const char* iso) { return *domain::parse_iso8601(iso); }

std::string hex_hash(char c) { return std::string(64, c); }

domain::user make_user(const std::string& name, domain::role r, std::optional<char> household = std::nullopt) {
    domain::user u;
    u.username = name;
    u.role_ = r;
    u.household = household;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created_at = at("2026-11-29T10:00:00.123Z");
    return u;
}

domain::api_token make_token(domain::token_kind k, const std::string& name, std::optional<std::int64_t> user = {}) {
    domain::api_token t;
    t.kind = k;
    t.name = name;
    t.user_id = user;
    t.created_at = at("2026-11-29T10:00:00Z");
    return t;
}

class AuthStore : public test_support::backend_test {};

TEST_P(AuthStore, UsersAddFindListPasswordRemove) {
    storage::sql_auth_store store(db());
    EXPECT_EQ(run(ioc_, store.count_users()), 0);
    EXPECT_FALSE(run(ioc_, store.find_user("alice")));
    auto a = run(ioc_, store.add_user(make_user("alice", domain::role::admin)));
    auto b = run(ioc_, store.add_user(make_user("bob", domain::role::household, 'B')));
    EXPECT_NE(a, b);
    EXPECT_EQ(run(ioc_, store.count_users()), 2);

    auto bob = run(ioc_, store.find_user("bob"));
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->id, b);
    EXPECT_EQ(bob->role_, domain::role::household);
    EXPECT_EQ(bob->household, std::optional<char>('B'));
    EXPECT_EQ(bob->password_hash, make_user("x", domain::role::viewer).password_hash);
    EXPECT_EQ(domain::to_iso8601(bob->created_at), "2026-11-29T10:00:00.123Z");
    EXPECT_FALSE(run(ioc_, store.find_user("Bob")));  // names compare exactly in both dialects

    auto all = run(ioc_, store.list_users());
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].username, "alice");
    EXPECT_FALSE(all[0].household);
    EXPECT_EQ(all[1].username, "bob");

    EXPECT_TRUE(run(ioc_, store.set_password("alice", "$argon2id$new")));
    EXPECT_EQ(run(ioc_, store.find_user("alice"))->password_hash, "$argon2id$new");
    EXPECT_FALSE(run(ioc_, store.set_password("nobody", "$argon2id$new")));

    EXPECT_TRUE(run(ioc_, store.remove_user("alice")));
    EXPECT_FALSE(run(ioc_, store.remove_user("alice")));
    EXPECT_FALSE(run(ioc_, store.find_user("alice")));
    EXPECT_EQ(run(ioc_, store.count_users()), 1);
}

TEST_P(AuthStore, DuplicateUsernameIsRefusedAsTaken) {
    storage::sql_auth_store store(db());
    run(ioc_, store.add_user(make_user("alice", domain::role::viewer)));
    try {
        run(ioc_, store.add_user(make_user("alice", domain::role::operator_)));
        ADD_FAILURE() << "a duplicate username was accepted";
    } catch (const domain::storage_refused& e) {
        EXPECT_NE(std::string(e.what()).find("username taken"), std::string::npos) << e.what();
    }
    EXPECT_EQ(run(ioc_, store.count_users()), 1);
    EXPECT_TRUE(db().healthy());
}

TEST_P(AuthStore, TheSchemaRefusesAHouseholdMismatch) {
    // Validation stops these first; the schema's CHECKs are the last line.
    storage::sql_auth_store store(db());
    EXPECT_THROW(run(ioc_, store.add_user(make_user("h", domain::role::household))), domain::storage_refused);
    EXPECT_THROW(run(ioc_, store.add_user(make_user("v", domain::role::viewer, 'A'))), domain::storage_refused);
    EXPECT_THROW(run(ioc_, store.add_user(make_user("e", domain::role::household, 'E'))), domain::storage_refused);
    EXPECT_EQ(run(ioc_, store.count_users()), 0);
    EXPECT_TRUE(db().healthy());
}

TEST_P(AuthStore, SessionsExpireAndEndWithTheirUser) {
    storage::sql_auth_store store(db());
    auto id = run(ioc_, store.add_user(make_user("carol", domain::role::operator_)));
    const auto t0 = at("2026-11-29T12:00:00Z");
    run(ioc_, store.add_session(hex_hash('a'), id, t0, t0 + 1h));
    run(ioc_, store.add_session(hex_hash('b'), id, t0, t0 + 2h));
    auto u = run(ioc_, store.session_user(hex_hash('a'), t0 + 59min));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->username, "carol");
    EXPECT_EQ(u->role_, domain::role::operator_);
    EXPECT_FALSE(run(ioc_, store.session_user(hex_hash('a'), t0 + 1h)));  // expired at expires_at
    EXPECT_FALSE(run(ioc_, store.session_user(hex_hash('c'), t0)));       // unknown
    EXPECT_EQ(run(ioc_, store.remove_expired_sessions(t0 + 90min)), 1u);
    EXPECT_EQ(run(ioc_, store.remove_expired_sessions(t0 + 90min)), 0u);
    EXPECT_TRUE(run(ioc_, store.session_user(hex_hash('b'), t0 + 90min)));
    run(ioc_, store.remove_session(hex_hash('b')));
    EXPECT_FALSE(run(ioc_, store.session_user(hex_hash('b'), t0 + 90min)));

    run(ioc_, store.add_session(hex_hash('d'), id, t0, t0 + 2h));
    ASSERT_TRUE(run(ioc_, store.session_user(hex_hash('d'), t0)));
    EXPECT_TRUE(run(ioc_, store.remove_user("carol")));
    EXPECT_FALSE(run(ioc_, store.session_user(hex_hash('d'), t0)));
    // A user re-created under the same name does not inherit the session.
    run(ioc_, store.add_user(make_user("carol", domain::role::admin)));
    EXPECT_FALSE(run(ioc_, store.session_user(hex_hash('d'), t0)));
}

TEST_P(AuthStore, SessionsNeedAnExistingUserAndAHexHash) {
    storage::sql_auth_store store(db());
    const auto t0 = domain::clock::now();
    EXPECT_THROW(run(ioc_, store.add_session(hex_hash('a'), 12345, t0, t0 + 1h)), domain::storage_refused);
    auto id = run(ioc_, store.add_user(make_user("dave", domain::role::viewer)));
    EXPECT_THROW(run(ioc_, store.add_session("not-a-hash", id, t0, t0 + 1h)), domain::storage_refused);
    EXPECT_THROW(run(ioc_, store.add_session(hex_hash('A'), id, t0, t0 + 1h)), domain::storage_refused);
    EXPECT_TRUE(db().healthy());
}

TEST_P(AuthStore, DeviceTokensFindRevokeAndOneActivePerName) {
    storage::sql_auth_store store(db());
    const auto t0 = at("2026-11-29T12:00:00Z");
    auto id = run(ioc_, store.add_token(make_token(domain::token_kind::device, "roof"), hex_hash('1')));
    auto m = run(ioc_, store.find_token(hex_hash('1')));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->token.id, id);
    EXPECT_EQ(m->token.kind, domain::token_kind::device);
    EXPECT_EQ(m->token.name, "roof");
    EXPECT_FALSE(m->token.user_id);
    EXPECT_FALSE(m->token.last_used_at);
    EXPECT_FALSE(m->token.revoked_at);
    EXPECT_FALSE(m->owner);
    EXPECT_FALSE(run(ioc_, store.find_token(hex_hash('2'))));

    try {
        run(ioc_, store.add_token(make_token(domain::token_kind::device, "roof"), hex_hash('2')));
        ADD_FAILURE() << "a second active token named roof was accepted";
    } catch (const domain::storage_refused& e) {
        EXPECT_NE(std::string(e.what()).find("an active token named roof exists"), std::string::npos) << e.what();
    }
    // The same name of the other kind is another token.
    auto u = run(ioc_, store.add_user(make_user("erin", domain::role::viewer)));
    EXPECT_NO_THROW(run(ioc_, store.add_token(make_token(domain::token_kind::user, "roof", u), hex_hash('3'))));

    run(ioc_, store.touch_token(id, t0 + 5s));
    EXPECT_EQ(domain::to_iso8601(*run(ioc_, store.find_token(hex_hash('1')))->token.last_used_at),
              "2026-11-29T12:00:05.000Z");

    EXPECT_TRUE(run(ioc_, store.revoke_token(domain::token_kind::device, "roof", t0 + 1min)));
    EXPECT_FALSE(run(ioc_, store.revoke_token(domain::token_kind::device, "roof", t0 + 2min)));
    EXPECT_FALSE(run(ioc_, store.find_token(hex_hash('1'))));
    // Re-adding after the revoke works; the old token stays revoked.
    auto again = run(ioc_, store.add_token(make_token(domain::token_kind::device, "roof"), hex_hash('4')));
    EXPECT_NE(again, id);
    EXPECT_TRUE(run(ioc_, store.find_token(hex_hash('4'))));
    EXPECT_FALSE(run(ioc_, store.find_token(hex_hash('1'))));
    // A token hash is never stored twice.
    EXPECT_THROW(run(ioc_, store.add_token(make_token(domain::token_kind::device, "other"), hex_hash('4'))),
                 domain::storage_refused);

    auto list = run(ioc_, store.list_tokens(domain::token_kind::device));
    ASSERT_EQ(list.size(), 2u);  // revoked ones included
    EXPECT_EQ(list[0].id, id);
    ASSERT_TRUE(list[0].revoked_at);
    EXPECT_EQ(domain::to_iso8601(*list[0].revoked_at), "2026-11-29T12:01:00.000Z");
    EXPECT_EQ(list[1].id, again);
    EXPECT_FALSE(list[1].revoked_at);
    EXPECT_EQ(run(ioc_, store.list_tokens(domain::token_kind::user)).size(), 1u);
    EXPECT_TRUE(db().healthy());
}

TEST_P(AuthStore, UserTokensActAsTheirUserUntilTheUserIsRemoved) {
    storage::sql_auth_store store(db());
    auto uid = run(ioc_, store.add_user(make_user("frank", domain::role::household, 'C')));
    run(ioc_, store.add_token(make_token(domain::token_kind::user, "frank-script", uid), hex_hash('5')));
    auto m = run(ioc_, store.find_token(hex_hash('5')));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->token.kind, domain::token_kind::user);
    EXPECT_EQ(m->token.user_id, std::optional<std::int64_t>(uid));
    ASSERT_TRUE(m->owner);
    EXPECT_EQ(m->owner->username, "frank");
    EXPECT_EQ(m->owner->household, std::optional<char>('C'));

    EXPECT_TRUE(run(ioc_, store.remove_user("frank")));
    EXPECT_FALSE(run(ioc_, store.find_token(hex_hash('5'))));
    auto list = run(ioc_, store.list_tokens(domain::token_kind::user));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_TRUE(list[0].revoked_at);  // revoked with its user, kept for the record
    // Its name is free again, and a new user of the same name gets nothing back.
    auto again = run(ioc_, store.add_user(make_user("frank", domain::role::admin)));
    EXPECT_NE(again, uid);
    EXPECT_FALSE(run(ioc_, store.find_token(hex_hash('5'))));
    EXPECT_NO_THROW(run(ioc_, store.add_token(make_token(domain::token_kind::user, "frank-script", again), hex_hash('6'))));
    // A user token for a user that does not exist is refused.
    EXPECT_THROW(run(ioc_, store.add_token(make_token(domain::token_kind::user, "ghost", 987654), hex_hash('7'))),
                 domain::storage_refused);
}

TEST_P(AuthStore, AuditBetweenIsOrderedBoundedAndLimited) {
    storage::sql_auth_store store(db());
    const auto t0 = at("2026-11-29T00:00:00Z");
    // Appended out of order; read back oldest first.
    for (int s : {30, 10, 20, 40, 10}) {
        domain::audit_entry e;
        e.at = t0 + std::chrono::seconds(s) + 250ms;
        e.actor = "cli";
        e.action = "user.add";
        e.target = "t" + std::to_string(s);
        e.outcome = "ok";
        e.detail = std::string(5000, 'x');  // longer than the column: kept, shortened
        run(ioc_, store.append_audit(e));
    }
    auto all = run(ioc_, store.audit_between(t0, t0 + 1h, 100));
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[0].target, "t10");
    EXPECT_EQ(all[1].target, "t10");
    EXPECT_LT(all[0].id, all[1].id);
    EXPECT_EQ(all[2].target, "t20");
    EXPECT_EQ(all[4].target, "t40");
    EXPECT_EQ(domain::to_iso8601(all[0].at), "2026-11-29T00:00:10.250Z");
    EXPECT_EQ(all[0].actor, "cli");
    EXPECT_EQ(all[0].address, "");
    EXPECT_EQ(all[0].action, "user.add");
    EXPECT_EQ(all[0].outcome, "ok");
    EXPECT_EQ(all[0].detail, std::string(1024, 'x'));

    // from <= at < to
    auto mid = run(ioc_, store.audit_between(t0 + 20s + 250ms, t0 + 40s + 250ms, 100));
    ASSERT_EQ(mid.size(), 2u);
    EXPECT_EQ(mid[0].target, "t20");
    EXPECT_EQ(mid[1].target, "t30");
    auto limited = run(ioc_, store.audit_between(t0, t0 + 1h, 3));
    ASSERT_EQ(limited.size(), 3u);
    EXPECT_EQ(limited[2].target, "t20");
    EXPECT_TRUE(run(ioc_, store.audit_between(t0, t0 + 1h, 0)).empty());
    EXPECT_TRUE(run(ioc_, store.audit_between(t0 + 1h, t0 + 2h, 10)).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthStore, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

// Two processes on one database (serve and the command line): the same
// names added from both at once. Each name is stored once; the loser is told
// "username taken" / "an active token named X exists" (storage_refused),
// never that the database is unavailable. (This found that a re-read after a
// duplicate key cannot tell on MySQL: InnoDB reads the transaction's snapshot.)
class AuthStoreTwoWriters : public ::testing::TestWithParam<backend> {};

TEST_P(AuthStoreTwoWriters, EachNameIsTakenOnceAndTheOtherIsRefused) {
    std::unique_ptr<test_support::test_database> mysql;
    std::filesystem::path file;
    storage::database_options o;
    if (GetParam() == backend::mysql) {
        mysql = std::make_unique<test_support::test_database>(backend::mysql);
        if (!mysql->ok) FAIL() << mysql->problem;
        o = mysql->options;
    } else {
        file = std::filesystem::temp_directory_path() / ("solgrid-auth2w-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(file);
        o.sqlite_path = file.string();
    }
    {
        storage::database one(o), two(o);
        storage::sql_auth_store a(one), b(two);
        asio::io_context ioc;
        constexpr int names = 40;
        int added = 0, taken = 0, other = 0;
        auto add = [&](storage::sql_auth_store& store, int i) -> asio::awaitable<void> {
            try {
                auto job = store.add_user(make_user("user" + std::to_string(i), domain::role::viewer));
                co_await std::move(job);
                ++added;
            } catch (const domain::storage_refused& e) {
                if (std::string(e.what()).find("username taken") != std::string::npos) ++taken;
                else ++other;
            } catch (...) {
                ++other;
            }
        };
        int devices = 0, active = 0;
        auto add_device = [&](storage::sql_auth_store& store, int i, char side) -> asio::awaitable<void> {
            try {
                auto job = store.add_token(make_token(domain::token_kind::device, "dev" + std::to_string(i)),
                                           std::string(60, side) + std::to_string(1000 + i));
                co_await std::move(job);
                ++devices;
            } catch (const domain::storage_refused& e) {
                if (std::string(e.what()).find("an active token named dev") != std::string::npos) ++active;
                else ++other;
            } catch (...) {
                ++other;
            }
        };
        for (int i = 0; i < names; ++i) {
            asio::co_spawn(ioc, add(a, i), asio::detached);
            asio::co_spawn(ioc, add(b, i), asio::detached);
            asio::co_spawn(ioc, add_device(a, i, 'a'), asio::detached);
            asio::co_spawn(ioc, add_device(b, i, 'b'), asio::detached);
        }
        ioc.run();
        EXPECT_EQ(added, names);
        EXPECT_EQ(taken, names);
        EXPECT_EQ(devices, names);
        EXPECT_EQ(active, names);
        EXPECT_EQ(other, 0);
        EXPECT_EQ(run(ioc, a.count_users()), names);
        EXPECT_EQ(run(ioc, b.list_tokens(domain::token_kind::device)).size(), std::size_t(names));
        EXPECT_TRUE(one.healthy());
        EXPECT_TRUE(two.healthy());
        one.close();
        two.close();
    }
    if (!file.empty())
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthStoreTwoWriters, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

// Migration step 4 over a database version 3 created (readings in it), and
// once more over its own result: nothing lost, nothing done twice.
class AuthMigration : public ::testing::TestWithParam<backend> {};

TEST_P(AuthMigration, Step4AddsTheTablesToAnExistingDatabaseAndIsIdempotent) {
    std::unique_ptr<test_support::test_database> mysql;
    std::filesystem::path file;
    storage::database_options o;
    if (GetParam() == backend::mysql) {
        mysql = std::make_unique<test_support::test_database>(backend::mysql);
        if (!mysql->ok) FAIL() << mysql->problem;
        o = mysql->options;
    } else {
        file = std::filesystem::temp_directory_path() / ("solgrid-authmig-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(file);
        o.sqlite_path = file.string();
    }
    asio::io_context ioc;
    auto version = [&](storage::database& db) {
        return run(ioc, db.read<int>([](soci::session& s) {
            int v = 0;
            s << "SELECT MAX(version) FROM schema_version", soci::into(v);
            return v;
        }));
    };
    {
        // A database as version 3 left it: no access-control tables, a reading.
        storage::database db(o);
        run(ioc, db.write_alone<int>([is_mysql = GetParam() == backend::mysql](soci::session& s) {
            for (auto t : {"audit_log", "api_tokens", "auth_sessions", "users"}) s << std::string("DROP TABLE ") + t;
            test_support::undo_market_orders_step(s, is_mysql);
            s << "UPDATE schema_version SET version = 3";
            s << "INSERT INTO sun_data_realtime (soc, solar_w, lux, created_at)"
                 " VALUES (55, 100, 2000, '2026-11-29 09:00:00.000')";
            return 0;
        }));
        EXPECT_EQ(version(db), 3);
        db.close();
    }
    for (int round = 0; round < 2; ++round) {
        storage::database db(o);
        EXPECT_GE(version(db), 4);  // later steps (the ledger, 5) may follow
        storage::sql_auth_store store(db);
        if (round == 0) {
            auto id = run(ioc, store.add_user(make_user("admin", domain::role::admin)));
            run(ioc, store.add_session(hex_hash('e'), id, domain::clock::now(), domain::clock::now() + 1h));
        }
        EXPECT_EQ(run(ioc, store.count_users()), 1);  // kept across the second open
        EXPECT_TRUE(run(ioc, store.session_user(hex_hash('e'), domain::clock::now())));
        EXPECT_EQ(run(ioc, db.read<int>([](soci::session& s) {
                      int n = 0;
                      s << "SELECT COUNT(*) FROM sun_data_realtime", soci::into(n);
                      return n;
                  })),
                  1);
        db.close();
    }
    if (!file.empty())
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthMigration, ::testing::Values(backend::sqlite, backend::mysql),
                         test_support::backend_name);

}  // namespace
