#include "net/forwarded.hpp"

#include <array>
#include <cstring>

namespace solgrid::net {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// ":1".."65535" after an address; digits only.
bool valid_port_suffix(std::string_view s) {
    if (s.size() < 2 || s.size() > 6 || s.front() != ':') return false;
    unsigned value = 0;
    for (char c : s.substr(1)) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= 65535;
}

// inet_pton through Asio, on a NUL-terminated copy. Only the characters an
// address is made of get that far (no '%' zone ids, no names).
std::optional<asio::ip::address> parse_v4(std::string_view s) {
    if (s.empty() || s.size() > 15) return std::nullopt;
    for (char c : s)
        if (!is_digit(c) && c != '.') return std::nullopt;
    std::array<char, 16> buf{};
    std::memcpy(buf.data(), s.data(), s.size());
    boost::system::error_code ec;
    auto a = asio::ip::make_address_v4(buf.data(), ec);  // glibc: four dotted decimals, no leading zeros
    if (ec) return std::nullopt;
    return asio::ip::address(a);
}

std::optional<asio::ip::address> parse_v6(std::string_view s) {
    if (s.empty() || s.size() > 45) return std::nullopt;
    for (char c : s)
        if (!is_hex(c) && c != ':' && c != '.') return std::nullopt;
    std::array<char, 46> buf{};
    std::memcpy(buf.data(), s.data(), s.size());
    boost::system::error_code ec;
    auto a = asio::ip::make_address_v6(buf.data(), ec);
    if (ec) return std::nullopt;
    // One client, one identity: ::ffff:192.0.2.1 is 192.0.2.1 (rate-limit keys, logs).
    if (a.is_v4_mapped()) return asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, a));
    return asio::ip::address(a);
}

// The last element of a comma-separated list, trimmed ("" if none).
std::string_view last_element(std::string_view list) {
    for (;;) {
        auto comma = list.rfind(',');
        auto item = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
        if (!item.empty() || comma == std::string_view::npos) return item;
        list = list.substr(0, comma);
    }
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

// Every field named `name`, joined by "," in order (RFC 9110 §5.3); a view
// of the one field when there is only one.
std::string_view joined_fields(const request& req, std::string_view name, std::string& storage) {
    auto [first, last] = req.equal_range(name);
    if (first == last) return {};
    auto next = first;
    if (++next == last) return first->value();
    for (auto it = first; it != last; ++it) {
        if (it != first) storage += ',';
        storage.append(it->value().data(), it->value().size());
    }
    return storage;
}

}  // namespace

std::optional<asio::ip::address> parse_forwarded_element(std::string_view text) {
    text = trim(text);
    if (text.empty() || text.size() > max_forwarded_element) return std::nullopt;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        auto after = text.substr(close + 1);
        if (!after.empty() && !valid_port_suffix(after)) return std::nullopt;
        return parse_v6(text.substr(1, close - 1));
    }
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return parse_v4(text);
    if (text.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: IPv4 with a port (an IPv6 address has at least two).
        if (!valid_port_suffix(text.substr(colon))) return std::nullopt;
        return parse_v4(text.substr(0, colon));
    }
    return parse_v6(text);
}

forwarded_view resolve_forwarded(const asio::ip::address& peer, bool tls, std::string_view forwarded_for,
                                 std::string_view forwarded_proto, const common::network_list& trusted) {
    forwarded_view v{peer, tls};
    if (trusted.empty() || !trusted.contains(peer)) return v;

    if (iequals(last_element(forwarded_proto), "https")) v.secure = true;

    std::optional<asio::ip::address> leftmost_trusted;
    std::string_view rest = forwarded_for;
    for (;;) {
        auto comma = rest.rfind(',');
        auto item = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        if (!item.empty()) {
            auto a = parse_forwarded_element(item);
            if (!a) {
                v.malformed = true;
                return v;
            }
            if (!trusted.contains(*a)) {
                v.client = *a;
                v.forwarded = true;
                return v;
            }
            leftmost_trusted = *a;
        }
        if (comma == std::string_view::npos) break;
        rest = rest.substr(0, comma);
    }
    if (leftmost_trusted) {
        v.client = *leftmost_trusted;
        v.forwarded = true;
    }
    return v;
}

forwarded_view apply_forwarded(const request& req, request_info& info, const common::network_list& trusted) {
    forwarded_view v{info.peer.address(), info.tls};
    if (!trusted.empty() && trusted.contains(info.peer.address())) {
        std::string for_storage, proto_storage;
        auto forwarded_for = joined_fields(req, "X-Forwarded-For", for_storage);
        auto forwarded_proto = joined_fields(req, "X-Forwarded-Proto", proto_storage);
        v = resolve_forwarded(info.peer.address(), info.tls, forwarded_for, forwarded_proto, trusted);
    }
    info.remote = v.forwarded ? tcp::endpoint(v.client, 0) : info.peer;
    info.secure = v.secure;
    return v;
}

}  // namespace solgrid::net
