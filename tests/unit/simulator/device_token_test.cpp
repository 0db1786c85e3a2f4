#include "simulator/device_token.hpp"
#include "simulator/simulator.hpp"

#include <gtest/gtest.h>

using namespace solgrid::simulator;
namespace http = boost::beast::http;

TEST(SimulatorToken, PostsCarryTheBearerTokenWhenOneIsSet) {
    auto h = post_headers("sgd_AbC-123_xyz");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].first, http::field::authorization);
    EXPECT_EQ(h[0].second, "Bearer sgd_AbC-123_xyz");
    EXPECT_TRUE(post_headers("").empty());
}

TEST(SimulatorToken, RefusesTokensThatCannotBeSent) {
    simulator_options o;
    o.token = "sgd_ok";
    EXPECT_EQ(check(o), "");
    for (std::string bad : {std::string("two words"), std::string("abc\r\nX-Injected: 1"), std::string("a,b"),
                            std::string("=abc"), std::string(513, 'a')}) {
        o.token = bad;
        EXPECT_EQ(check(o).rfind("--token ", 0), 0u) << bad;
    }
    o.token = "";
    EXPECT_EQ(check(o), "");  // no token: posts without one (trusted networks)
}

TEST(SimulatorToken, SaysWhyTheServerRefusedAPost) {
    auto r = refusal(401, R"({"success":false,"error":"invalid device token"})", true);
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("the server refused the device token: HTTP 401 invalid device token"), std::string::npos) << *r;
    r = refusal(401, R"({"success":false,"error":"device token required"})", false);
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("--token"), std::string::npos) << *r;
    r = refusal(403, "forbidden", true);
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("the server refused the device token: HTTP 403 forbidden"), std::string::npos) << *r;
    r = refusal(429, R"({"success":false,"error":"too many requests"})", true);
    ASSERT_TRUE(r);
    EXPECT_NE(r->find("HTTP 429 too many requests"), std::string::npos) << *r;
    EXPECT_FALSE(refusal(201, "{}", true));
    EXPECT_FALSE(refusal(400, "{}", true));
    EXPECT_FALSE(refusal(503, "{}", true));
}
