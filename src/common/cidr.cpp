#include "common/cidr.hpp"

#include <charconv>

namespace solgrid::common {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool prefix_match(const unsigned char* a, const unsigned char* b, int bits) {
    int full = bits / 8;
    for (int i = 0; i < full; ++i)
        if (a[i] != b[i]) return false;
    int rest = bits % 8;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

bool cidr::contains(const boost::asio::ip::address& a) const {
    if (a.is_v4() || (a.is_v6() && a.to_v6().is_v4_mapped())) {
        if (!v4) return false;
        auto b = a.is_v4() ? a.to_v4().to_bytes() : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_bytes();
        return prefix_match(b.data(), bytes.data(), prefix);
    }
    if (v4) return false;
    auto b = a.to_v6().to_bytes();
    return prefix_match(b.data(), bytes.data(), prefix);
}

std::optional<cidr> parse_cidr(std::string_view text) {
    text = trim(text);
    auto slash = text.find('/');
    std::string host(text.substr(0, slash));
    if (host.empty() || host.size() > 64) return std::nullopt;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    cidr c;
    c.v4 = addr.is_v4();
    int max_bits = c.v4 ? 32 : 128;
    c.prefix = max_bits;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return std::nullopt;
        int n = -1;
        auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (err != std::errc{} || end != digits.data() + digits.size() || n < 0 || n > max_bits) return std::nullopt;
        c.prefix = n;
    }
    if (c.v4) {
        auto b = addr.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), c.bytes.begin());
    } else {
        auto b = addr.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), c.bytes.begin());
    }
    // Clear the host bits so equal networks compare equal.
    for (int i = 0; i < 16; ++i) {
        int keep = std::clamp(c.prefix - 8 * i, 0, 8);
        c.bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xFF << (8 - keep));
    }
    return c;
}

std::optional<network_list> network_list::parse(std::string_view list) {
    std::vector<cidr> nets;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = trim(list.substr(0, comma));
        if (!item.empty()) {
            auto c = parse_cidr(item);
            if (!c) return std::nullopt;
            nets.push_back(*c);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return network_list(std::move(nets));
}

bool network_list::contains(const boost::asio::ip::address& a) const {
    for (const auto& n : nets_)
        if (n.contains(a)) return true;
    return false;
}

}  // namespace solgrid::common
