#include "http/credentials.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace solgrid::http_api;
using namespace std::chrono_literals;

TEST(CookieValue, FindsANameAmongSeveral) {
    EXPECT_EQ(cookie_value("a=1; solgrid_session=abc; b=2", "solgrid_session"), "abc");
    EXPECT_EQ(cookie_value("solgrid_session=abc", "solgrid_session"), "abc");
    EXPECT_EQ(cookie_value("a=1;b=2", "b"), "2");
    EXPECT_EQ(cookie_value("a=1", "b"), std::nullopt);
    EXPECT_EQ(cookie_value("", "a"), std::nullopt);
}

TEST(CookieValue, AllowsWhitespaceAroundSeparators) {
    EXPECT_EQ(cookie_value("a=1 ;\tb = 2 ;  c=3", "b"), "2");
    EXPECT_EQ(cookie_value("  a=1  ", "a"), "1");
    EXPECT_EQ(cookie_value(";;; a=1;;", "a"), "1");
}

TEST(CookieValue, UnquotesQuotedValues) {
    EXPECT_EQ(cookie_value(R"(a="x y")", "a"), std::nullopt);  // a space is no cookie-octet, quoted or not
    EXPECT_EQ(cookie_value(R"(a="xyz"; b=1)", "a"), "xyz");
    EXPECT_EQ(cookie_value(R"(a="")", "a"), "");
    EXPECT_EQ(cookie_value(R"(a=")", "a"), std::nullopt);       // one quote: malformed
    EXPECT_EQ(cookie_value(R"(a="xyz; a=2)", "a"), "2");        // the unbalanced pair is skipped
}

TEST(CookieValue, FirstWellFormedMatchWins) {
    EXPECT_EQ(cookie_value("a=1; a=2", "a"), "1");
    EXPECT_EQ(cookie_value("a=bad\\value; a=2", "a"), "2");
    EXPECT_EQ(cookie_value("a; a=2", "a"), "2");
}

TEST(CookieValue, NamesMatchExactlyAndCaseSensitively) {
    EXPECT_EQ(cookie_value("Solgrid_Session=x", "solgrid_session"), std::nullopt);
    EXPECT_EQ(cookie_value("solgrid_session2=x", "solgrid_session"), std::nullopt);
    EXPECT_EQ(cookie_value("xsolgrid_session=x", "solgrid_session"), std::nullopt);
    EXPECT_EQ(cookie_value("solgrid session=x", "solgrid_session"), std::nullopt);
    EXPECT_EQ(cookie_value("=x", ""), std::nullopt);
    EXPECT_EQ(cookie_value("a b=x", "a b"), std::nullopt);  // not a token: never well formed
}

TEST(CookieValue, SkipsMalformedPairs) {
    EXPECT_EQ(cookie_value("garbage; =; ==; a=1", "a"), "1");
    EXPECT_EQ(cookie_value("a=1,2; b=3", "a"), std::nullopt);  // comma
    EXPECT_EQ(cookie_value("a=1,2; b=3", "b"), "3");
    EXPECT_EQ(cookie_value(std::string("a=x\0y; b=1", 11), "a"), std::nullopt);  // NUL
    EXPECT_EQ(cookie_value("a=\x7f", "a"), std::nullopt);
    EXPECT_EQ(cookie_value("a=\xc3\xa9", "a"), std::nullopt);  // non-ASCII
    EXPECT_EQ(cookie_value("a=x=y", "a"), "x=y");               // '=' is a cookie-octet
}

TEST(CookieValue, LimitsValuesTo4096Bytes) {
    std::string ok(max_cookie_value, 'v');
    EXPECT_EQ(cookie_value("a=" + ok, "a"), ok);
    EXPECT_EQ(cookie_value("a=" + ok + "v; a=short", "a"), "short");
    EXPECT_EQ(cookie_value("a=\"" + ok + "\"", "a"), ok);
}

TEST(BearerToken, AcceptsTheSchemeInAnyCase) {
    EXPECT_EQ(bearer_token("Bearer sgd_abc-DEF_123"), "sgd_abc-DEF_123");
    EXPECT_EQ(bearer_token("bearer abc"), "abc");
    EXPECT_EQ(bearer_token("BEARER abc"), "abc");
    EXPECT_EQ(bearer_token("Bearer    abc"), "abc");
    EXPECT_EQ(bearer_token("  Bearer abc  "), "abc");
    EXPECT_EQ(bearer_token("Bearer a.b~c+d/e=="), "a.b~c+d/e==");
}

TEST(BearerToken, RefusesAnythingElse) {
    for (std::string_view bad :
         {"", "Bearer", "Bearer ", "Bearer  ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearerabc", "Bearer\tabc",
          "Bearer abc def", "Bearer abc,def", "Bearer =abc", "Bearer ==", "Bearer a=b", "Bearer abc\"",
          "Bearer abc;", "Token abc", "Bearer: abc", "Bearer \xc3\xa9", "Bearer abc\r\nX: y"})
        EXPECT_EQ(bearer_token(bad), std::nullopt) << bad;
    EXPECT_EQ(bearer_token(std::string("Bearer ab\0c", 11)), std::nullopt);
}

TEST(BearerToken, LimitsTokensTo512Bytes) {
    std::string ok(max_bearer_token, 'a');
    EXPECT_EQ(bearer_token("Bearer " + ok), ok);
    EXPECT_EQ(bearer_token("Bearer " + ok + "a"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer " + ok + "="), std::nullopt);
}

TEST(SessionCookie, FormatsTheAttributes) {
    EXPECT_EQ(session_cookie("abc", 604800s, false),
              "solgrid_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800");
    EXPECT_EQ(session_cookie("abc", 60s, true),
              "solgrid_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
    EXPECT_EQ(session_cookie("abc", -5s, false),
              "solgrid_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    EXPECT_EQ(clear_session_cookie(false), "solgrid_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    EXPECT_EQ(clear_session_cookie(true), "solgrid_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
}

TEST(SessionCookie, ReadsBackThroughCookieValue) {
    auto set = session_cookie("sgs_AbC-123_x", 10s, true);
    EXPECT_EQ(cookie_value(set, session_cookie_name), "sgs_AbC-123_x");
    EXPECT_EQ(cookie_value(clear_session_cookie(false), session_cookie_name), "");
}

TEST(SessionCookie, RefusesValuesThatCouldBreakTheHeader) {
    for (std::string_view bad : {"", "a;b", "a b", "a\r\nSet-Cookie: x=y", "a,b", "\"a\"", "a\\b"})
        EXPECT_THROW(session_cookie(bad, 10s, false), std::invalid_argument) << bad;
    EXPECT_THROW(session_cookie(std::string(max_cookie_value + 1, 'a'), 10s, false), std::invalid_argument);
}
