// ensure_first_admin: the `admin` user `serve` creates when no user exists,
// with ADMIN_PASSWORD or a random password printed once (real store, SQLite).
#include "app/admin_cli.hpp"
#include "crypto/secrets.hpp"
#include "storage/database.hpp"
#include "storage/sql_auth_store.hpp"
#include "../run_awaitable.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

using namespace solgrid;

namespace {

struct FirstAdmin : ::testing::Test {
    storage::database db{[] {
        storage::database_options o;
        o.sqlite_path = ":memory:";
        return o;
    }()};
    storage::sql_auth_store store{db};
    boost::asio::io_context ioc;
};

TEST_F(FirstAdmin, RandomPasswordIsPrintedOnceAndIsTheStoredOne) {
    config::config cfg;
    std::ostringstream out;
    EXPECT_TRUE(app::ensure_first_admin(store, cfg, out));
    std::smatch m;
    const std::string text = out.str();
    ASSERT_TRUE(std::regex_search(text, m, std::regex("created user admin with password (\\S+) "))) << text;
    const std::string pw = m[1];
    EXPECT_EQ(pw.size(), 24u);
    auto admin = test::run(ioc, store.find_user("admin"));
    ASSERT_TRUE(admin);
    EXPECT_EQ(admin->role_, domain::role::admin);
    EXPECT_TRUE(crypto::verify_password(admin->password_hash, pw));
    auto audit = test::run(ioc, store.audit_between(domain::clock::now() - std::chrono::hours(1),
                                                    domain::clock::now() + std::chrono::hours(1), 10));
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].action, "user.add");
    EXPECT_EQ(audit[0].target, "admin");
    EXPECT_EQ(audit[0].detail.find(pw), std::string::npos);

    std::ostringstream again;
    EXPECT_FALSE(app::ensure_first_admin(store, cfg, again));
    EXPECT_EQ(again.str(), "");
    EXPECT_EQ(test::run(ioc, store.count_users()), 1);
}

TEST_F(FirstAdmin, AdminPasswordIsUsedAndNeverPrinted) {
    config::config cfg;
    cfg.admin_password = "Sup3r-secret-admin-pw";
    std::ostringstream out;
    EXPECT_TRUE(app::ensure_first_admin(store, cfg, out));
    EXPECT_EQ(out.str().find(cfg.admin_password), std::string::npos) << out.str();
    auto admin = test::run(ioc, store.find_user("admin"));
    ASSERT_TRUE(admin);
    EXPECT_TRUE(crypto::verify_password(admin->password_hash, cfg.admin_password));
}

TEST_F(FirstAdmin, NothingHappensWhenAnyUserExists) {
    domain::user u;
    u.username = "someone";
    u.role_ = domain::role::viewer;
    u.password_hash = crypto::hash_password("whatever-pw");
    test::run(ioc, store.add_user(u));
    std::ostringstream out;
    EXPECT_FALSE(app::ensure_first_admin(store, {}, out));
    EXPECT_EQ(out.str(), "");
    EXPECT_FALSE(test::run(ioc, store.find_user("admin")));
}

}  // namespace
