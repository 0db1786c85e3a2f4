// The gateway against a real in-process HTTP server on 127.0.0.1.
#include "device/http_device_gateway.hpp"
#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace solgrid;
using std::chrono::milliseconds;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

struct fake_device {
    unsigned status = 200;
    std::string relay_reply;
    std::string status_reply = R"({"device":"test","relays":{"A":false,"B":false,"C":false,"D":false}})";
    bool slow = false;  // answer only after 0.6 s
    std::string last_body;
};

struct gateway_test : ::testing::Test {
    asio::io_context ioc;
    fake_device dev;
    std::unique_ptr<net::http_server> server;

    void SetUp() override {
        net::handlers h;
        h.http = [this](net::request& req, const net::request_info&) -> asio::awaitable<net::response> {
            if (dev.slow) {
                asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(600));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            net::response res{static_cast<http::status>(dev.status), req.version()};
            if (req.target() == "/dev/relay") {
                dev.last_body = req.body();
                res.body() = dev.relay_reply;
            } else if (req.target() == "/dev/status") {
                res.body() = dev.status_reply;
            } else {
                res.result(http::status::not_found);
            }
            res.prepare_payload();
            co_return res;
        };
        net::server_options o;
        o.host = "127.0.0.1";
        o.port = 0;
        server = std::make_unique<net::http_server>(ioc, o, h);
        server->start();
    }
    void TearDown() override {
        auto f = asio::co_spawn(ioc, server->shutdown(milliseconds(10)), asio::use_future);
        ioc.restart();
        // A held (slow) request ends on its own; wait for it so no session
        // outlives the server.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while ((server->open_connections() > 0 || f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) &&
               std::chrono::steady_clock::now() < deadline)
            ioc.run_one_for(milliseconds(20));
    }
    device::http_device_gateway gateway(milliseconds timeout = milliseconds(2000)) {
        auto url = device::parse_base_url("http://127.0.0.1:" + std::to_string(server->port()) + "/dev/");
        return device::http_device_gateway(*url, timeout);
    }
    template <class T>
    T run(asio::awaitable<T> a) {
        auto f = asio::co_spawn(ioc, std::move(a), asio::use_future);
        ioc.restart();
        while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one_for(milliseconds(50));
        return f.get();
    }
};

const domain::relay_state b_on{{false, true, false, false}};

}  // namespace

TEST(BaseUrl, ParsesWhatArduinoUrlMayBe) {
    auto u = device::parse_base_url("http://192.168.0.50:8080");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "192.168.0.50");
    EXPECT_EQ(u->port, "8080");
    EXPECT_EQ(u->prefix, "");
    auto d = device::parse_base_url("http://arduino.local/api/");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->port, "80");
    EXPECT_EQ(d->prefix, "/api");
    std::string why;
    EXPECT_FALSE(device::parse_base_url("https://x:1", &why));
    EXPECT_NE(why.find("only http://"), std::string::npos);
    EXPECT_FALSE(device::parse_base_url("192.168.0.50:80", &why));
    EXPECT_FALSE(device::parse_base_url("http://x:1/?a=b", &why));
}

TEST_F(gateway_test, SendsTheCommandAndReadsTheReportedState) {
    dev.relay_reply = R"({"success":true,"relays":{"A":false,"B":true,"C":false,"D":false},"relay_version":42})";
    auto g = gateway();
    auto r = run(g.send_relays({b_on, 42}));
    EXPECT_EQ(r.state, b_on);
    EXPECT_EQ(r.version, 42);
    EXPECT_EQ(boost::json::parse(dev.last_body),
              boost::json::parse(R"({"A":false,"B":true,"C":false,"D":false,"version":42})"));
}

TEST_F(gateway_test, AReplyWithoutAStateMeansApplied) {
    dev.relay_reply = "OK";
    auto g = gateway();
    auto r = run(g.send_relays({b_on, 7}));
    EXPECT_EQ(r.state, b_on);
    EXPECT_EQ(r.version, 7);
}

TEST_F(gateway_test, ErrorStatusesAndMalformedReportsFail) {
    auto g = gateway();
    dev.status = 500;
    dev.relay_reply = "relay board unpowered";
    try {
        run(g.send_relays({b_on, 1}));
        ADD_FAILURE() << "no error";
    } catch (const domain::device_error& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 500: relay board unpowered"), std::string::npos) << e.what();
    }
    dev.status = 200;
    dev.relay_reply = R"({"relays":{"A":"on"}})";
    EXPECT_THROW(run(g.send_relays({b_on, 1})), domain::device_error);
}

TEST_F(gateway_test, ASilentDeviceTimesOut) {
    dev.slow = true;
    auto g = gateway(milliseconds(100));
    try {
        run(g.send_relays({b_on, 1}));
        ADD_FAILURE() << "no error";
    } catch (const domain::device_error& e) {
        EXPECT_NE(std::string(e.what()).find("within 100 ms"), std::string::npos) << e.what();
    }
    auto p = run(g.probe());
    EXPECT_FALSE(p.reachable);
    EXPECT_NE(p.error.find("within 100 ms"), std::string::npos);
}

TEST_F(gateway_test, ProbeReturnsTheDevicesOwnReport) {
    auto g = gateway();
    auto p = run(g.probe());
    EXPECT_TRUE(p.reachable);
    EXPECT_EQ(p.report.as_object().at("device"), "test");
    EXPECT_GE(p.latency.count(), 0);
}

TEST(GatewayUnreachable, RefusedConnectionsFailWithTheReason) {
    asio::io_context ioc;
    // A port that was just free: nothing listens there.
    asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = a.local_endpoint().port();
    a.close();
    device::http_device_gateway g(*device::parse_base_url("http://127.0.0.1:" + std::to_string(port)),
                                  milliseconds(1000));
    auto f = asio::co_spawn(ioc, g.send_relays({b_on, 1}), asio::use_future);
    ioc.run();
    try {
        f.get();
        ADD_FAILURE() << "no error";
    } catch (const domain::device_error& e) {
        EXPECT_NE(std::string(e.what()).find("connect to 127.0.0.1:"), std::string::npos) << e.what();
    }
}
