#include "crypto/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace solgrid::crypto;

TEST(Secrets, PasswordHashIsArgon2idAndVerifies) {
    auto h = hash_password("correct horse");
    EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
    EXPECT_TRUE(verify_password(h, "correct horse"));
    EXPECT_FALSE(verify_password(h, "correct hors"));
    EXPECT_FALSE(verify_password(h, ""));
    EXPECT_NE(hash_password("correct horse"), h);  // salted
}

TEST(Secrets, MalformedStoredHashNeverVerifies) {
    EXPECT_FALSE(verify_password("", "x"));
    EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
    EXPECT_FALSE(verify_password(std::string(500, 'a'), "x"));
}

TEST(Secrets, RandomTokensAre256BitBase64Url) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        auto t = random_token("sgd_");
        ASSERT_EQ(t.size(), 4u + 43u) << t;
        EXPECT_EQ(t.substr(0, 4), "sgd_");
        for (char c : t.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
        EXPECT_TRUE(seen.insert(t).second);
    }
}

TEST(Secrets, TokenHashIsSha256Hex) {
    EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Secrets, ConstantTimeEquality) {
    EXPECT_TRUE(equal_constant_time("abc", "abc"));
    EXPECT_FALSE(equal_constant_time("abc", "abd"));
    EXPECT_FALSE(equal_constant_time("abc", "ab"));
    EXPECT_TRUE(equal_constant_time("", ""));
}
