#include "common/cidr.hpp"

#include <gtest/gtest.h>

using namespace solgrid::common;
namespace ip = boost::asio::ip;

TEST(Cidr, ParsesAndMatchesIpv4) {
    auto c = parse_cidr("10.1.2.3/8");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(ip::make_address("10.200.0.1")));
    EXPECT_FALSE(c->contains(ip::make_address("11.0.0.1")));
    auto host = parse_cidr("127.0.0.1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix, 32);
    EXPECT_TRUE(host->contains(ip::make_address("127.0.0.1")));
    EXPECT_FALSE(host->contains(ip::make_address("127.0.0.2")));
    EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(ip::make_address("8.8.8.8")));
    EXPECT_TRUE(parse_cidr("192.168.1.0/25")->contains(ip::make_address("192.168.1.127")));
    EXPECT_FALSE(parse_cidr("192.168.1.0/25")->contains(ip::make_address("192.168.1.128")));
}

TEST(Cidr, Ipv6AndMappedAddresses) {
    auto lo6 = parse_cidr("::1/128");
    ASSERT_TRUE(lo6);
    EXPECT_TRUE(lo6->contains(ip::make_address("::1")));
    EXPECT_FALSE(lo6->contains(ip::make_address("127.0.0.1")));
    EXPECT_TRUE(parse_cidr("127.0.0.1/32")->contains(ip::make_address("::ffff:127.0.0.1")));
    EXPECT_TRUE(parse_cidr("fd00::/8")->contains(ip::make_address("fd12:3456::1")));
    EXPECT_FALSE(parse_cidr("fd00::/8")->contains(ip::make_address("fe80::1")));
}

TEST(Cidr, RefusesMalformed) {
    for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::1/129", "10.0.0.0/-1", "10.0.0.0/8x",
                            "hello", "10.0.0.256", "10.0.0.0/0008", "1.2.3.4/ 8"})
        EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(Cidr, Lists) {
    auto l = network_list::parse("127.0.0.1/32, ::1/128");
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->contains(ip::make_address("127.0.0.1")));
    EXPECT_TRUE(l->contains(ip::make_address("::1")));
    EXPECT_FALSE(l->contains(ip::make_address("192.168.0.2")));
    EXPECT_TRUE(network_list::parse("")->empty());
    EXPECT_FALSE(network_list::parse("127.0.0.1/32,nope"));
}
