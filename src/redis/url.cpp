#include "redis/url.hpp"

#include <charconv>
#include <stdexcept>

namespace solgrid::redis {
namespace {

[[noreturn]] void bad(const std::string& why) { throw std::invalid_argument(why); }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s, const char* what) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) bad(std::string("has a bad %-escape in the ") + what);
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

long long number(std::string_view s, long long lo, long long hi, const std::string& what) {
    long long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n < lo || n > hi)
        bad(what + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi) + " (got '" +
            std::string(s) + "')");
    return n;
}

}  // namespace

std::string endpoint::address() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

endpoint parse_url(std::string_view url) {
    constexpr std::string_view scheme = "redis://";
    if (url.rfind("rediss://", 0) == 0) bad("rediss:// (TLS) is not supported; use redis://");
    if (url.substr(0, scheme.size()) != scheme) bad("must start with redis:// (redis://[user:password@]host[:port][/db])");
    std::string_view rest = url.substr(scheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) bad("must not have a ?query or #fragment");
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

    endpoint e;
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) bad("credentials must be user:password@ or :password@");
        e.user = percent_decode(userinfo.substr(0, colon), "user name");
        e.password = percent_decode(userinfo.substr(colon + 1), "password");
        if (e.password.empty()) bad("names a user but no password");
    }
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) bad("has an unclosed [IPv6] host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':') bad("has text after the [IPv6] host");
        if (!after.empty()) port = after.substr(1);
        if (after == ":") bad("port must be a number from 1 to 65535 (got '')");
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) bad("port must be a number from 1 to 65535 (got '')");
    }
    if (host.empty()) bad("names no host");
    e.host = std::string(host);
    if (!port.empty()) e.port = static_cast<std::uint16_t>(number(port, 1, 65535, "port"));
    if (!path.empty()) {
        if (path.find('/') != std::string_view::npos) bad("must end after /db (a database number)");
        e.db = static_cast<int>(number(path, 0, 1000000, "db"));
    }
    return e;
}

std::string redact_url(std::string_view url) {
    const auto start = url.find("://");
    if (start == std::string_view::npos) return std::string(url);
    const auto end = url.find_first_of("/?#", start + 3);
    std::string_view authority = url.substr(start + 3, end == std::string_view::npos ? end : end - start - 3);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const auto colon = authority.substr(0, at).find(':');
    std::string out(url.substr(0, start + 3));
    out += colon == std::string_view::npos ? "***" : std::string(authority.substr(0, colon)) + ":***";
    out += url.substr(start + 3 + at);
    return out;
}

}  // namespace solgrid::redis
