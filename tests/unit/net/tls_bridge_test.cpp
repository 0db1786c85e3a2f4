// HTTPS through net::http_server + net::tls_bridge with a certificate made
// at test time and a real OpenSSL client: the handler sees the client's
// address and secure = true (HTTP and WebSocket upgrade alike), keep-alive
// and large bodies pass intact both ways, a plaintext request gets a 400
// saying the port speaks HTTPS, the client gets close_notify, and no fd is
// left behind however a connection ends. Also load_tls_context's errors.
#include "net/http_server.hpp"
#include "net/tls_context.hpp"
#include "test_certificate.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

using namespace solgrid;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string who(const net::request_info& info) {
    return info.remote.address().to_string() + ":" + std::to_string(info.remote.port()) +
           (info.secure ? " secure" : " plain");
}

net::handlers test_handlers() {
    net::handlers h;
    h.http = [](net::request& req, const net::request_info& info) -> asio::awaitable<net::response> {
        net::response res{http::status::ok, req.version()};
        if (req.target() == "/who") res.body() = who(info);
        else if (req.target() == "/echo") res.body() = req.body();
        else if (req.target() == "/big") {
            std::string big(6 * 1024 * 1024 + 7, '\0');
            for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
            res.body() = std::move(big);
        }
        res.prepare_payload();
        co_return res;
    };
    h.wants_upgrade = [](const net::request& req) { return req.target() == "/ws"; };
    h.upgrade = [](boost::beast::tcp_stream stream, net::request, net::request_info info) -> asio::awaitable<void> {
        auto text = "upgraded " + who(info);
        co_await asio::async_write(stream.socket(), asio::buffer(text), asio::as_tuple(asio::use_awaitable));
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    };
    return h;
}

struct running_server {
    asio::io_context ioc;
    std::unique_ptr<net::http_server> server;
    std::thread thread;
    bool stopped = false;

    explicit running_server(std::shared_ptr<ssl::context> tls) {
        net::server_options o;
        o.host = "127.0.0.1";
        o.port = 0;
        o.body_limit = 16 * 1024 * 1024;
        o.read_timeout = std::chrono::seconds(5);
        o.tls = std::move(tls);
        server = std::make_unique<net::http_server>(ioc, o, test_handlers());
        server->start();
        thread = std::thread([this] {
            auto work = asio::make_work_guard(ioc);
            ioc.run();
        });
    }
    void shutdown(std::chrono::milliseconds grace) {
        if (stopped) return;
        stopped = true;
        auto done = asio::co_spawn(ioc, server->shutdown(grace), asio::use_future);
        done.wait_for(std::chrono::seconds(10));
    }
    ~running_server() {
        shutdown(std::chrono::milliseconds(100));
        ioc.stop();
        thread.join();
    }
};

// Waits (up to 10 s) for a state the server reaches on its own thread.
bool eventually(const std::function<bool()>& f) {
    for (int i = 0; i < 1000; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return f();
}

std::size_t open_fds() {
    return static_cast<std::size_t>(
        std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{}));
}

// A blocking OpenSSL client that trusts only the test certificate.
struct tls_client {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    std::unique_ptr<ssl::stream<tcp::socket>> s;

    tls_client(std::uint16_t port, const std::string& ca_pem) {
        ctx.add_certificate_authority(asio::buffer(ca_pem));
        ctx.set_verify_mode(ssl::verify_peer);
        s = std::make_unique<ssl::stream<tcp::socket>>(ioc, ctx);
        s->set_verify_callback(ssl::host_name_verification("localhost"));
        s->next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        s->handshake(ssl::stream_base::client);
    }
    std::uint16_t local_port() const { return s->next_layer().local_endpoint().port(); }
    void send(const std::string& bytes) { asio::write(*s, asio::buffer(bytes)); }
    http::response<http::string_body> response(boost::beast::flat_buffer& buf) {
        http::response_parser<http::string_body> p;
        p.body_limit(64 * 1024 * 1024);
        http::read(*s, buf, p);
        return p.release();
    }
    // All until the server ends the stream; `how` says how (eof: with
    // close_notify, ssl::error::stream_truncated: without).
    std::string read_all(boost::system::error_code& how) {
        std::string out;
        char b[16384];
        for (;;) {
            auto n = s->read_some(asio::buffer(b), how);
            out.append(b, n);
            if (how) return out;
        }
    }
};

std::string plain_exchange(std::uint16_t port, const std::string& bytes) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    asio::write(s, asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
        auto n = s.read_some(asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) return out;
    }
}

class TlsServer : public ::testing::Test {
protected:
    test::test_certificate cert;
    running_server srv{net::load_tls_context(cert.cert_file(), cert.key_file())};
    std::uint16_t port() { return srv.server->port(); }
};

}  // namespace

TEST_F(TlsServer, AnswersHttpsAndTellsTheHandlerTheClientsAddress) {
    tls_client c(port(), cert.cert_pem());
    c.send("GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    boost::system::error_code how;
    auto out = c.read_all(how);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n127.0.0.1:" + std::to_string(c.local_port()) + " secure")) << out;
    EXPECT_EQ(how, asio::error::eof) << "the stream ended without close_notify: " << how.message();
}

TEST_F(TlsServer, KeepsAConnectionAliveAcrossRequests) {
    tls_client c(port(), cert.cert_pem());
    boost::beast::flat_buffer buf;
    for (int i = 0; i < 3; ++i) {
        c.send("GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n");
        auto res = c.response(buf);
        EXPECT_EQ(res.result_int(), 200);
        EXPECT_EQ(res.body(), "127.0.0.1:" + std::to_string(c.local_port()) + " secure");
    }
}

TEST_F(TlsServer, LargeBodiesPassIntactBothWays) {
    tls_client c(port(), cert.cert_pem());
    std::string body(5 * 1024 * 1024 + 3, '\0');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
    c.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body);
    boost::beast::flat_buffer buf;
    auto res = c.response(buf);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.body() == body) << "echoed " << res.body().size() << " bytes of " << body.size();

    c.send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto big = c.response(buf);
    ASSERT_EQ(big.body().size(), 6u * 1024 * 1024 + 7);
    bool same = true;
    for (std::size_t i = 0; i < big.body().size() && same; ++i) same = big.body()[i] == static_cast<char>('a' + i % 23);
    EXPECT_TRUE(same);
}

TEST_F(TlsServer, AWebSocketUpgradeHandlerGetsTheClientsAddress) {
    tls_client c(port(), cert.cert_pem());
    c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    boost::system::error_code how;
    auto out = c.read_all(how);
    EXPECT_EQ(out, "upgraded 127.0.0.1:" + std::to_string(c.local_port()) + " secure");
    EXPECT_EQ(how, asio::error::eof) << how.message();
}

TEST_F(TlsServer, APlaintextRequestHearsThatThePortSpeaksHttps) {
    auto out = plain_exchange(port(), "GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400")) << out;
    EXPECT_NE(out.find("this port speaks HTTPS"), std::string::npos) << out;
}

TEST_F(TlsServer, LeavesNoFileDescriptorBehindHoweverAConnectionEnds) {
    {
        tls_client warm(port(), cert.cert_pem());  // first-use allocations out of the count
        warm.send("GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        boost::system::error_code how;
        warm.read_all(how);
    }
    ASSERT_TRUE(eventually([&] { return srv.server->open_connections() == 0; }));
    auto before = open_fds();
    for (int round = 0; round < 3; ++round) {
        {  // served and closed by the server (Connection: close)
            tls_client c(port(), cert.cert_pem());
            c.send("GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            boost::system::error_code how;
            c.read_all(how);
        }
        {  // the client vanishes mid-request, without close_notify
            tls_client c(port(), cert.cert_pem());
            c.send("GET /who HTTP/1.1\r\nHost: loc");
        }
        {  // the client vanishes while a keep-alive connection is idle
            tls_client c(port(), cert.cert_pem());
            c.send("GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n");
            boost::beast::flat_buffer buf;
            c.response(buf);
        }
        {  // close_notify from the client, then gone
            tls_client c(port(), cert.cert_pem());
            boost::system::error_code ec;
            c.s->shutdown(ec);
        }
        // A TLS record header followed by garbage: the handshake fails.
        plain_exchange(port(), std::string("\x16\x03\x01\x00\x05garbagegarbage", 19));
        plain_exchange(port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        {  // connected, never a byte
            asio::io_context ioc;
            tcp::socket s(ioc);
            s.connect({asio::ip::make_address("127.0.0.1"), port()});
        }
        {  // upgraded, then closed by the handler
            tls_client c(port(), cert.cert_pem());
            c.send("GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            boost::system::error_code how;
            c.read_all(how);
        }
    }
    EXPECT_TRUE(eventually([&] { return srv.server->open_connections() == 0 && open_fds() == before; }))
        << srv.server->open_connections() << " connections, " << open_fds() << " fds, " << before << " before";
}

TEST_F(TlsServer, ShutdownClosesAnIdleTlsConnectionWithCloseNotify) {
    tls_client c(port(), cert.cert_pem());
    boost::beast::flat_buffer buf;
    c.send("GET /who HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(c.response(buf).result_int(), 200);
    srv.stopped = true;
    auto done = asio::co_spawn(srv.ioc, srv.server->shutdown(std::chrono::milliseconds(5000)), asio::use_future);
    boost::system::error_code how;
    auto rest = c.read_all(how);
    EXPECT_EQ(rest, "");
    EXPECT_EQ(how, asio::error::eof) << how.message();
    c.s->shutdown(how);  // our close_notify back, as a well-behaved client sends
    EXPECT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(srv.server->open_connections(), 0u);
}

TEST(TlsBridgePlain, AConnectionWithoutTlsIsNotSecure) {
    running_server srv(nullptr);
    auto out = plain_exchange(srv.server->port(), "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(out.find("\r\n\r\n127.0.0.1:"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with(" plain")) << out;
}

TEST(TlsContext, AMissingFileIsNamedWithItsVariable) {
    test::test_certificate cert;
    try {
        net::load_tls_context(cert.cert_file(), "/nonexistent/key.pem");
        FAIL() << "loaded a missing key";
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot read TLS_KEY_FILE /nonexistent/key.pem"), std::string::npos)
            << e.what();
    }
    try {
        net::load_tls_context("/nonexistent/cert.pem", cert.key_file());
        FAIL() << "loaded a missing certificate";
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot read TLS_CERT_FILE /nonexistent/cert.pem"), std::string::npos)
            << e.what();
    }
}

TEST(TlsContext, FilesThatAreNotPemSaySo) {
    test::test_certificate cert;
    auto junk = cert.write("junk.pem", "not a certificate\n");
    try {
        net::load_tls_context(junk, cert.key_file());
        FAIL();
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("TLS_CERT_FILE " + junk + " is not a PEM certificate"), std::string::npos)
            << e.what();
    }
    try {
        net::load_tls_context(cert.cert_file(), junk);
        FAIL();
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("TLS_KEY_FILE " + junk + " is not an unencrypted PEM private key"),
                  std::string::npos)
            << e.what();
    }
}

TEST(TlsContext, AKeyOfAnotherCertificateIsRefused) {
    test::test_certificate cert, other;
    try {
        net::load_tls_context(cert.cert_file(), other.key_file());
        FAIL();
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("TLS_KEY_FILE " + other.key_file() + " does not match the certificate in "
                                             "TLS_CERT_FILE " + cert.cert_file()),
                  std::string::npos)
            << e.what();
    }
}

TEST(TlsContext, AnEncryptedKeyIsRefusedWithoutAsking) {
    test::test_certificate cert;
    FILE* in = std::fopen(cert.key_file().c_str(), "r");
    EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    ASSERT_NE(key, nullptr);
    auto encrypted = cert.write("encrypted.pem", "");
    FILE* out = std::fopen(encrypted.c_str(), "w");
    char pass[] = "secret";
    PEM_write_PrivateKey(out, key, EVP_aes_256_cbc(), reinterpret_cast<unsigned char*>(pass), 6, nullptr, nullptr);
    std::fclose(out);
    EVP_PKEY_free(key);
    try {
        net::load_tls_context(cert.cert_file(), encrypted);
        FAIL();
    } catch (const net::startup_error& e) {
        EXPECT_NE(std::string(e.what()).find("TLS_KEY_FILE " + encrypted + " is not an unencrypted PEM private key"),
                  std::string::npos)
            << e.what();
    }
}
