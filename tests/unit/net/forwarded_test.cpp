// net/forwarded: who the client is behind a trusted proxy (TRUSTED_PROXIES),
// from X-Forwarded-For / X-Forwarded-Proto, including what a client may put
// in those headers to pretend to be someone else.
#include "net/forwarded.hpp"

#include <gtest/gtest.h>

using namespace solgrid;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::literals;

namespace {

asio::ip::address addr(const char* s) { return asio::ip::make_address(s); }

common::network_list nets(const char* s) { return *common::network_list::parse(s); }

const auto proxy = addr("127.0.0.1");
const auto outsider = addr("203.0.113.50");
const auto local_proxies = nets("127.0.0.1/32");

std::string element(std::string_view text) {
    auto a = net::parse_forwarded_element(text);
    return a ? a->to_string() : "(none)";
}

net::forwarded_view resolve(std::string_view xff, const common::network_list& trusted = local_proxies,
                            asio::ip::address peer = proxy, std::string_view proto = {}, bool tls = false) {
    return net::resolve_forwarded(peer, tls, xff, proto, trusted);
}

}  // namespace

TEST(ForwardedElement, AddressesWithAndWithoutPortsAndBrackets) {
    EXPECT_EQ(element("192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(element("192.0.2.1:4711"), "192.0.2.1");
    EXPECT_EQ(element("2001:db8::1"), "2001:db8::1");
    EXPECT_EQ(element("[2001:db8::1]"), "2001:db8::1");
    EXPECT_EQ(element("[2001:db8::1]:4711"), "2001:db8::1");
    EXPECT_EQ(element("::1"), "::1");
    EXPECT_EQ(element(" \t192.0.2.1 \t"), "192.0.2.1");
    EXPECT_EQ(element("::ffff:192.0.2.1"), "192.0.2.1");  // one client, one identity
    EXPECT_EQ(element("[::ffff:192.0.2.1]:80"), "192.0.2.1");
    // Two colons or more is IPv6: "::1:80" is the address ::1:80, not ::1 port 80.
    EXPECT_EQ(element("::1:80"), addr("::1:80").to_string());
}

TEST(ForwardedElement, AnythingElseIsRefused) {
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "", " ", "unknown", "UNKNOWN", "_hidden", "_SEVKISEK", "\"_gazonk\"", "\"[2001:db8::1]:4711\"",
          "for=192.0.2.1", "example.com", "localhost", "192.0.2", "192.0.2.1.5", "0x7f.0.0.1", "127.1",
          "0127.0.0.1", "192.0.2.256", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:80x", "192.0.2.1:-1",
          "192.0.2.1:1234567", "[192.0.2.1]", "[2001:db8::1", "2001:db8::1]", "[2001:db8::1]x", "[2001:db8::1]:",
          "[]", "[]:80", "fe80::1%eth0", "[fe80::1%25eth0]", "192.0.2.1 198.51.100.2", "1.2.3.4\r\n", "::g",
          "2001:db8::1::2", "\x01", "192.0.2.1\0"sv, "\0"sv})
        EXPECT_EQ(element(bad), "(none)") << "'" << bad << "'";
    EXPECT_EQ(element(std::string(net::max_forwarded_element + 1, '1')), "(none)");
    EXPECT_EQ(element(std::string(40, ' ') + "192.0.2.1" + std::string(40, ' ')), "192.0.2.1") << "spaces do not count";
}

TEST(Forwarded, AnUntrustedPeerIsTheClientWhateverItsHeadersSay) {
    auto v = resolve("198.51.100.7", local_proxies, outsider, "https");
    EXPECT_EQ(v.client, outsider);
    EXPECT_FALSE(v.forwarded);
    EXPECT_FALSE(v.secure) << "X-Forwarded-Proto from an untrusted peer is not believed";
    EXPECT_FALSE(v.malformed);
    // TRUSTED_PROXIES empty (the default): nobody is believed, not even loopback.
    v = resolve("198.51.100.7", common::network_list{}, proxy, "https");
    EXPECT_EQ(v.client, proxy);
    EXPECT_FALSE(v.forwarded);
    EXPECT_FALSE(v.secure);
    // Nor is a malformed header from an untrusted peer worth a warning: it is not read.
    EXPECT_FALSE(resolve("unknown", local_proxies, outsider).malformed);
}

TEST(Forwarded, TheRightMostUntrustedAddressIsTheClient) {
    EXPECT_EQ(resolve("198.51.100.7").client, addr("198.51.100.7"));
    EXPECT_TRUE(resolve("198.51.100.7").forwarded);
    // A client claiming to be loopback through the proxy: nginx appends the
    // address it saw, and that one is the client.
    EXPECT_EQ(resolve("127.0.0.1, 198.51.100.7").client, addr("198.51.100.7"));
    EXPECT_EQ(resolve("10.9.9.9, 198.51.100.8, 198.51.100.7").client, addr("198.51.100.7"));
    // A chain of trusted proxies (a CDN, then nginx) is walked past.
    auto chain = nets("127.0.0.1/32, 10.0.0.0/8");
    EXPECT_EQ(resolve("198.51.100.9, 10.0.0.2, 10.0.0.3", chain).client, addr("198.51.100.9"));
    EXPECT_EQ(resolve("192.0.2.1, 198.51.100.9, 10.0.0.3", chain).client, addr("198.51.100.9"));
}

TEST(Forwarded, WhenEveryHopIsTrustedTheLeftMostIsTheClient) {
    auto v = resolve("127.0.0.1");
    EXPECT_EQ(v.client, proxy);
    EXPECT_TRUE(v.forwarded);
    auto chain = nets("127.0.0.1/32, 10.0.0.0/8");
    EXPECT_EQ(resolve("10.0.0.5, 10.0.0.6, 127.0.0.1", chain).client, addr("10.0.0.5"));
}

TEST(Forwarded, NoElementsMeansThePeer) {
    for (std::string_view none : {"", " ", ",", " , ,\t, "}) {
        auto v = resolve(none);
        EXPECT_EQ(v.client, proxy) << "'" << none << "'";
        EXPECT_FALSE(v.forwarded);
        EXPECT_FALSE(v.malformed);
    }
    // Empty elements between real ones are skipped (RFC 9110 list syntax).
    EXPECT_EQ(resolve("198.51.100.7,, ,").client, addr("198.51.100.7"));
}

TEST(Forwarded, SpacesPortsAndBracketsInTheList) {
    EXPECT_EQ(resolve(" \t198.51.100.7 ,\t127.0.0.1 ").client, addr("198.51.100.7"));
    EXPECT_EQ(resolve("198.51.100.7:5123, 127.0.0.1:40000").client, addr("198.51.100.7"));
    EXPECT_EQ(resolve("[2001:db8::7]:443, 127.0.0.1").client, addr("2001:db8::7"));
    EXPECT_EQ(resolve("2001:db8::7,127.0.0.1").client, addr("2001:db8::7"));
    EXPECT_EQ(resolve("::ffff:198.51.100.7").client, addr("198.51.100.7"));
    // An IPv4-mapped trusted hop is the trusted IPv4 address.
    EXPECT_EQ(resolve("198.51.100.7, ::ffff:127.0.0.1").client, addr("198.51.100.7"));
    EXPECT_EQ(resolve("198.51.100.7", local_proxies, addr("::ffff:127.0.0.1")).client, addr("198.51.100.7"));
    auto v6 = nets("::1/128");
    EXPECT_EQ(resolve("198.51.100.7, [::1]:8080", v6, addr("::1")).client, addr("198.51.100.7"));
}

TEST(Forwarded, AnUnreadableElementTheWalkReachesMakesThePeerTheClient) {
    for (std::string_view bad : {"unknown", "_hidden", "198.51.100.7, unknown", "198.51.100.7, _hidden, 127.0.0.1",
                                 "127.0.0.1, nonsense", "example.com", "198.51.100.7 127.0.0.1", "\"198.51.100.7\""}) {
        auto v = resolve(bad);
        EXPECT_TRUE(v.malformed) << bad;
        EXPECT_EQ(v.client, proxy) << bad;
        EXPECT_FALSE(v.forwarded) << bad;
    }
}

TEST(Forwarded, WhatAClientWritesLeftOfItselfIsNeverRead) {
    // Refusing the whole header for junk the client put in would let any
    // client become the proxy (and so, with loopback in
    // DEVICE_TRUSTED_NETWORKS, a trusted device) by sending junk.
    for (std::string_view xff : {"unknown, 198.51.100.7", "_hidden, 198.51.100.7, 127.0.0.1",
                                 "[::1, 198.51.100.7", "x, y, z, 198.51.100.7"}) {
        auto v = resolve(xff);
        EXPECT_FALSE(v.malformed) << xff;
        EXPECT_EQ(v.client, addr("198.51.100.7")) << xff;
    }
}

TEST(Forwarded, VeryLongHeadersAndManyHops) {
    // 2000 trusted hops, then the client at the far left.
    std::string hops = "198.51.100.7";
    for (int i = 0; i < 2000; ++i) hops += ", 127.0.0.1";
    EXPECT_EQ(resolve(hops).client, addr("198.51.100.7"));
    // 16 KiB of client-written junk left of the client costs nothing and changes nothing.
    std::string junk(16 * 1024, 'x');
    EXPECT_EQ(resolve(junk + ", 198.51.100.7, 127.0.0.1").client, addr("198.51.100.7"));
    // One over-long element the walk reaches: malformed.
    EXPECT_TRUE(resolve(std::string(20000, '1')).malformed);
    EXPECT_TRUE(resolve(std::string(20000, ',')).client == proxy);
    // Every hop trusted, thousands of them: the left-most.
    std::string loop = "127.0.0.1";
    for (int i = 0; i < 3000; ++i) loop += ",127.0.0.1";
    auto v = resolve(loop);
    EXPECT_EQ(v.client, proxy);
    EXPECT_TRUE(v.forwarded);
}

TEST(Forwarded, ProtoHttpsFromATrustedPeerMakesTheRequestSecure) {
    EXPECT_TRUE(resolve("198.51.100.7", local_proxies, proxy, "https").secure);
    EXPECT_TRUE(resolve("198.51.100.7", local_proxies, proxy, " HTTPS ").secure);
    EXPECT_TRUE(resolve("", local_proxies, proxy, "https").secure) << "Proto alone is enough";
    EXPECT_TRUE(resolve("unknown", local_proxies, proxy, "https").secure) << "independent of X-Forwarded-For";
    EXPECT_TRUE(resolve("", local_proxies, proxy, "http, https").secure) << "the last value counts";
    EXPECT_TRUE(resolve("", local_proxies, proxy, "http, https, ,").secure);
    EXPECT_FALSE(resolve("", local_proxies, proxy, "https, http").secure);
    EXPECT_FALSE(resolve("", local_proxies, proxy, "http").secure);
    EXPECT_FALSE(resolve("", local_proxies, proxy, "httpsx").secure);
    EXPECT_FALSE(resolve("", local_proxies, proxy, "").secure);
    // TLS to us is secure whatever a proxy says.
    EXPECT_TRUE(resolve("", local_proxies, proxy, "http", true).secure);
    EXPECT_TRUE(resolve("", local_proxies, outsider, "", true).secure);
}

TEST(Forwarded, ApplyReadsEveryFieldAndResolvesEachRequestAfresh) {
    net::request_info info;
    info.peer = {proxy, 40123};
    net::request req{http::verb::get, "/", 11};
    req.insert("X-Forwarded-For", "198.51.100.7");
    req.insert("X-Forwarded-For", "198.51.100.8");  // two fields: one list, in order
    req.insert("X-Forwarded-Proto", "http");
    req.insert("X-Forwarded-Proto", "https");
    auto v = net::apply_forwarded(req, info, local_proxies);
    EXPECT_TRUE(v.forwarded);
    EXPECT_EQ(info.remote.address(), addr("198.51.100.8"));
    EXPECT_EQ(info.remote.port(), 0);
    EXPECT_TRUE(info.secure);

    // The next request on the kept-alive connection says nothing: the peer again.
    net::request plain{http::verb::get, "/", 11};
    v = net::apply_forwarded(plain, info, local_proxies);
    EXPECT_FALSE(v.forwarded);
    EXPECT_EQ(info.remote, info.peer);
    EXPECT_FALSE(info.secure);

    // From an untrusted peer nothing is read.
    info.peer = {outsider, 5555};
    v = net::apply_forwarded(req, info, local_proxies);
    EXPECT_EQ(info.remote, info.peer);
    EXPECT_FALSE(info.secure);

    // TLS connections stay secure.
    info.tls = true;
    net::apply_forwarded(plain, info, local_proxies);
    EXPECT_TRUE(info.secure);
}
