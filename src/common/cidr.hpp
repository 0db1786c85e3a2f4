// Address ranges in CIDR notation ("127.0.0.1/32", "10.0.0.0/8", "::1/128";
// a bare address is a single host) and a list of them, for
// DEVICE_TRUSTED_NETWORKS and similar settings. Pure; immutable after
// parsing, so any thread may ask contains(). An IPv4-mapped IPv6 address
// (::ffff:10.1.2.3) is matched as the IPv4 address it carries.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::common {

struct cidr {
    std::array<unsigned char, 16> bytes{};  // network address (v4 in the first 4 bytes)
    int prefix = 0;                         // bits
    bool v4 = true;

    bool contains(const boost::asio::ip::address& a) const;
};

// nullopt for anything that is not an address with an optional /prefix in
// range (0–32 for IPv4, 0–128 for IPv6). Host bits beyond the prefix are
// ignored ("10.1.2.3/8" is 10.0.0.0/8).
std::optional<cidr> parse_cidr(std::string_view text);

class network_list {
public:
    network_list() = default;
    explicit network_list(std::vector<cidr> nets) : nets_(std::move(nets)) {}
    // Comma-separated CIDRs; nullopt names nothing, so callers report the
    // offending item themselves via parse_cidr.
    static std::optional<network_list> parse(std::string_view comma_list);

    bool contains(const boost::asio::ip::address& a) const;
    bool empty() const { return nets_.empty(); }

private:
    std::vector<cidr> nets_;
};

}  // namespace solgrid::common
