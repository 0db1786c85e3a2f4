// net::http_server through a real socket: HEAD has no body (issue 11 A3), a
// handler that throws still gets an answer, and a port in use is a sentence
// a person can act on (issue 11 A10).
#include "net/http_server.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <future>
#include <thread>

using namespace solgrid;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

struct running_server {
    asio::io_context ioc;
    std::unique_ptr<net::http_server> server;
    std::thread thread;

    explicit running_server(net::handlers h, std::uint16_t port = 0, common::network_list trusted_proxies = {}) {
        net::server_options o;
        o.host = "127.0.0.1";
        o.port = port;
        o.trusted_proxies = std::move(trusted_proxies);
        server = std::make_unique<net::http_server>(ioc, o, std::move(h));
        server->start();
        thread = std::thread([this] {
            auto work = asio::make_work_guard(ioc);
            ioc.run();
        });
    }
    ~running_server() {
        auto done = asio::co_spawn(ioc, server->shutdown(std::chrono::milliseconds(100)), asio::use_future);
        done.wait_for(std::chrono::seconds(5));
        ioc.stop();
        thread.join();
    }

    // Sends `bytes`, returns all the server says until it closes.
    std::string exchange(const std::string& bytes) {
        asio::io_context client;
        tcp::socket s(client);
        s.connect({asio::ip::make_address("127.0.0.1"), server->port()});
        asio::write(s, asio::buffer(bytes));
        std::string out;
        boost::system::error_code ec;
        char buf[4096];
        for (;;) {
            auto n = s.read_some(asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) break;
        }
        return out;
    }
};

net::handlers answering(std::function<net::response(net::request&)> f) {
    net::handlers h;
    h.http = [f](net::request& req, const net::request_info&) -> asio::awaitable<net::response> { co_return f(req); };
    return h;
}

}  // namespace

TEST(HttpServer, HeadSendsTheHeadersOfTheAnswerAndNoBody) {
    running_server s(answering([](net::request& req) {
        net::response res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/plain");
        res.body() = "twelve bytes";
        res.prepare_payload();
        return res;
    }));
    auto out = s.exchange("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto second = out.find("HTTP/1.1", 1);
    ASSERT_NE(second, std::string::npos) << out;
    auto head = out.substr(0, second);
    EXPECT_NE(head.find("Content-Length: 12\r\n"), std::string::npos) << head;
    EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;  // the headers, then straight to the next answer
    EXPECT_TRUE(out.ends_with("\r\n\r\ntwelve bytes")) << out;
}

TEST(HttpServer, AHandlerThatThrowsGetsA500WithAJsonBody) {
    net::handlers h;
    h.http = [](net::request&, const net::request_info&) -> asio::awaitable<net::response> {
        throw std::runtime_error("detail that stays in the log");
        co_return net::response{};
    };
    running_server s(std::move(h));
    auto out = s.exchange("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 500")) << out;
    EXPECT_NE(out.find(R"({"success":false,"error":"internal error"})"), std::string::npos) << out;
    EXPECT_EQ(out.find("detail"), std::string::npos);
}

TEST(HttpServer, APortInUseSaysSoAndWhatToDo) {
    running_server first(answering([](net::request& req) { return net::response{http::status::ok, req.version()}; }));
    asio::io_context ioc;
    net::server_options o;
    o.host = "127.0.0.1";
    o.port = first.server->port();
    net::http_server second(ioc, o, {});
    try {
        second.start();
        FAIL() << "the second server listened on a port in use";
    } catch (const net::startup_error& e) {
        std::string what = e.what();
        auto port = std::to_string(o.port);
        EXPECT_NE(what.find("port " + port + " is already in use; set PORT or stop the other process"),
                  std::string::npos)
            << what;
        EXPECT_NE(what.find("127.0.0.1:" + port), std::string::npos) << what;
    }
}

TEST(HttpServer, AHostThatIsNotAnAddressSaysSo) {
    asio::io_context ioc;
    net::server_options o;
    o.host = "not-an-ip";
    net::http_server server(ioc, o, {});
    try {
        server.start();
        FAIL();
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("set HOST"), std::string::npos) << e.what();
    }
}

namespace {

// Answers each request with what the handlers were told: "client secure".
net::handlers echoing_client() {
    net::handlers h;
    h.http = [](net::request& req, const net::request_info& info) -> asio::awaitable<net::response> {
        net::response res{http::status::ok, req.version()};
        res.body() = "[" + info.remote.address().to_string() + (info.secure ? " secure" : " plain") + "]";
        res.prepare_payload();
        co_return res;
    };
    return h;
}

}  // namespace

TEST(HttpServer, AForwardedClientIsBelievedOnlyFromTrustedProxiesAndPerRequest) {
    const std::string forwarded =
        "GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1, 198.51.100.7\r\nX-Forwarded-Proto: https\r\n\r\n";
    const std::string bare = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    {
        running_server trusting(echoing_client(), 0, *common::network_list::parse("127.0.0.1/32"));
        auto out = trusting.exchange(forwarded + bare);  // two requests on one connection
        auto first = out.find("[198.51.100.7 secure]");
        EXPECT_NE(first, std::string::npos) << out;
        EXPECT_NE(out.find("[127.0.0.1 plain]", first), std::string::npos) << "the next request is resolved afresh: " << out;
    }
    {
        running_server untrusting(echoing_client());  // TRUSTED_PROXIES empty: the default
        auto out = untrusting.exchange(forwarded + bare);
        EXPECT_EQ(out.find("198.51.100.7"), std::string::npos) << out;
        EXPECT_EQ(out.find("secure"), std::string::npos) << out;
        EXPECT_NE(out.find("[127.0.0.1 plain]"), std::string::npos) << out;
    }
}
