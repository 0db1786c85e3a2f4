// router::dispatch: the one place exceptions become answers (issue 11 B),
// and JSON routes taking JSON only (issue 11 A6).
#include "http/router.hpp"

#include "../run_awaitable.hpp"
#include "domain/ports.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::http_api;
namespace http = boost::beast::http;

namespace {

struct fixture {
    boost::asio::io_context ioc;
    router r{net::cors_policy({"*"})};
    net::request_info info;

    response call(http::verb method, std::string target, std::string body = {}, std::string content_type = {}) {
        request req{method, target, 11};
        if (!content_type.empty()) req.set(http::field::content_type, content_type);
        req.body() = std::move(body);
        req.prepare_payload();
        return test::run(ioc, r.dispatch(req, info));
    }
};

template <class E>
handler throwing(std::string what) {
    return [what](request_context&) -> asio::awaitable<response> {
        throw E(what);
        co_return response{};
    };
}

handler ok_handler() {
    return [](request_context& rc) -> asio::awaitable<response> {
        response res{http::status::ok, rc.req.version()};
        res.body() = "ok";
        res.prepare_payload();
        co_return res;
    };
}

boost::json::object body_of(const response& res) { return boost::json::parse(res.body()).as_object(); }

}  // namespace

TEST(RouterErrors, StorageUnavailableIs503WithAJsonBody) {
    fixture f;
    f.r.add(http::verb::get, "/api/x", throwing<domain::storage_unavailable>("cannot connect to 10.0.0.5:3306"));
    auto res = f.call(http::verb::get, "/api/x");
    EXPECT_EQ(res.result(), http::status::service_unavailable);
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_EQ(res[http::field::access_control_allow_origin], "*");  // still CORS on /api/
    EXPECT_FALSE(res[http::field::retry_after].empty());
    auto body = body_of(res);
    EXPECT_EQ(body.at("success"), false);
    EXPECT_NE(std::string(body.at("error").as_string()).find("database unavailable"), std::string::npos);
    EXPECT_EQ(res.body().find("10.0.0.5"), std::string::npos);  // the database's address stays in the log
}

TEST(RouterErrors, ARefusedRowIs422NamingTheProblemNotDatabaseUnavailable) {
    fixture f;
    f.r.add(http::verb::post, "/api/x", throwing<domain::storage_refused>("soc must be between 0 and 100"));
    auto res = f.call(http::verb::post, "/api/x", "{}", "application/json");
    EXPECT_EQ(res.result(), http::status::unprocessable_entity);
    auto body = body_of(res);
    EXPECT_EQ(body.at("success"), false);
    std::string error(body.at("error").as_string());
    EXPECT_NE(error.find("soc must be between 0 and 100"), std::string::npos) << error;
    EXPECT_EQ(error.find("unavailable"), std::string::npos) << error;

    // SOCI's message carries the statement and its values: those stay in the log.
    f.r.add(http::verb::post, "/api/y",
            throwing<domain::storage_refused>("CHECK constraint failed: soc BETWEEN 0 AND 100 while executing "
                                              "\"INSERT INTO sun_data_realtime (soc) VALUES (:soc)\" with :soc=150."));
    auto soci = f.call(http::verb::post, "/api/y", "{}", "application/json");
    EXPECT_EQ(soci.result(), http::status::unprocessable_entity);
    EXPECT_EQ(body_of(soci).at("error"), "the database refused the data: CHECK constraint failed: soc BETWEEN 0 AND 100");
}

TEST(RouterErrors, AnyOtherExceptionIs500InternalErrorWithoutItsText) {
    fixture f;
    f.r.add(http::verb::get, "/api/std", throwing<std::runtime_error>("secret detail at 0xdeadbeef"));
    f.r.add(http::verb::get, "/api/odd", [](request_context&) -> asio::awaitable<response> {
        throw 42;
        co_return response{};
    });
    f.r.mount("/socket.io/", throwing<std::logic_error>("bug in a mount"));
    f.r.fallback(throwing<std::out_of_range>("bug in the fallback"));
    for (std::string target : {"/api/std", "/api/odd", "/socket.io/?EIO=4", "/history"}) {
        auto res = f.call(http::verb::get, target);
        EXPECT_EQ(res.result(), http::status::internal_server_error) << target;
        EXPECT_EQ(res[http::field::content_type], "application/json") << target;
        auto body = body_of(res);
        EXPECT_EQ(body.at("success"), false) << target;
        EXPECT_EQ(body.at("error"), "internal error") << target;
        EXPECT_EQ(res.body().find("secret"), std::string::npos);
    }
}

TEST(RouterErrors, HandlersThatDoNotThrowAreUntouched) {
    fixture f;
    f.r.add(http::verb::get, "/api/ok", ok_handler());
    auto res = f.call(http::verb::get, "/api/ok");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "ok");
    // HEAD runs the GET handler; the server (not the router) drops the body.
    auto head = f.call(http::verb::head, "/api/ok");
    EXPECT_EQ(head.result(), http::status::ok);
    EXPECT_EQ(head[http::field::content_length], "2");
}

TEST(RouterContentType, JsonRoutesTakeApplicationJsonOnly) {
    fixture f;
    f.r.add(http::verb::post, "/api/x", ok_handler());
    f.r.add(http::verb::put, "/api/x", ok_handler());
    f.r.add(http::verb::patch, "/api/x", ok_handler());
    f.r.add(http::verb::delete_, "/api/x", ok_handler());
    for (auto method : {http::verb::post, http::verb::put, http::verb::patch, http::verb::delete_}) {
        for (std::string ct : {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                               "multipart/form-data; boundary=x", "", "application/jsonx", "json",
                               "application/json5"}) {
            auto res = f.call(method, "/api/x", R"({"A":true})", ct);
            EXPECT_EQ(res.result(), http::status::unsupported_media_type) << ct;
            auto body = body_of(res);
            EXPECT_EQ(body.at("success"), false);
            EXPECT_NE(std::string(body.at("error").as_string()).find("application/json"), std::string::npos);
            EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
        }
        for (std::string ct : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                               "application/json;charset=UTF-8", " application/json "}) {
            auto res = f.call(method, "/api/x", R"({"A":true})", ct);
            EXPECT_EQ(res.result(), http::status::ok) << ct;
        }
    }
    // Found by fuzz_http_request: the Content-Type echoed in the answer may
    // hold bytes that are not UTF-8; the answer is JSON all the same.
    auto odd = f.call(http::verb::post, "/api/x", R"({"A":true})", "applicati\xff\xfe\xfdon/json");
    EXPECT_EQ(odd.result(), http::status::unsupported_media_type);
    boost::system::error_code ec;
    boost::json::parse(odd.body(), ec);
    EXPECT_FALSE(ec) << odd.body();
    // A form header with no body is still a form post.
    EXPECT_EQ(f.call(http::verb::post, "/api/x", "", "text/plain").result(), http::status::unsupported_media_type);
    // No body and no Content-Type (curl -X POST) reaches the handler.
    EXPECT_EQ(f.call(http::verb::post, "/api/x").result(), http::status::ok);
}

TEST(RouterContentType, OnlyApiRoutesAndOnlyWhenTheRouteExists) {
    fixture f;
    f.r.add(http::verb::post, "/api/x", ok_handler());
    f.r.add(http::verb::post, "/other", ok_handler());
    f.r.mount("/socket.io/", ok_handler());
    // Engine.IO polling posts text/plain by design.
    EXPECT_EQ(f.call(http::verb::post, "/socket.io/?EIO=4&sid=x", "40", "text/plain;charset=UTF-8").result(),
              http::status::ok);
    EXPECT_EQ(f.call(http::verb::post, "/other", "x", "text/plain").result(), http::status::ok);
    EXPECT_EQ(f.call(http::verb::post, "/api/none", "x", "text/plain").result(), http::status::not_found);
    EXPECT_EQ(f.call(http::verb::get, "/api/x", "", "text/plain").result(), http::status::method_not_allowed);
}

TEST(RouterContentType, MediaTypeMatching) {
    EXPECT_TRUE(is_json_content_type("application/json"));
    EXPECT_TRUE(is_json_content_type("APPLICATION/JSON; charset=utf-8"));
    EXPECT_TRUE(is_json_content_type("\tapplication/json\t;x=y"));
    EXPECT_FALSE(is_json_content_type(""));
    EXPECT_FALSE(is_json_content_type("text/json"));
    EXPECT_FALSE(is_json_content_type("application/json-patch+json"));
    EXPECT_FALSE(is_json_content_type("application/ json"));
}

// The /metrics observer: routes become labels as added, never the path a
// client sent; mounts by prefix, the SPA fallback as "static", the rest
// "unmatched"; a verb Beast does not know is "other".
TEST(RouterObserver, LabelsAreRoutesNotPaths) {
    fixture f;
    std::vector<std::string> seen;
    f.r.observe([&](std::string_view method, std::string_view route, unsigned status, double seconds) {
        EXPECT_GE(seconds, 0.0);
        seen.push_back(std::string(method) + " " + std::string(route) + " " + std::to_string(status));
    });
    f.r.add(http::verb::get, "/api/x", ok_handler());
    f.r.add(http::verb::delete_, "/api/orders/{}", ok_handler(), access::open);
    f.r.add(http::verb::get, "/api/users/{}/password", throwing<std::runtime_error>("boom"));
    f.r.mount("/socket.io/", ok_handler());
    f.r.fallback(ok_handler());
    f.call(http::verb::get, "/api/x?since=1");
    f.call(http::verb::delete_, "/api/orders/41");
    f.call(http::verb::delete_, "/api/orders/%2e%2e");
    f.call(http::verb::get, "/api/users/bob/password");
    f.call(http::verb::post, "/api/x", "{}", "application/json");
    f.call(http::verb::get, "/socket.io/?EIO=4&transport=polling");
    f.call(http::verb::get, "/dashboard/trade");
    f.call(http::verb::get, "/api/nothing/here");
    f.call(http::verb::unknown, "/api/x");
    EXPECT_EQ(seen, (std::vector<std::string>{
                        "GET /api/x 200", "DELETE /api/orders/{} 200", "DELETE /api/orders/{} 200",
                        "GET /api/users/{}/password 500", "POST /api/x 405", "GET /socket.io/ 200",
                        "GET static 200", "GET unmatched 404", "other /api/x 405"}));
}
