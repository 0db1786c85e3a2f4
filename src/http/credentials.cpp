#include "http/credentials.hpp"

#include <algorithm>
#include <stdexcept>

namespace solgrid::http_api {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 7230 tchar: what a cookie name may be made of.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 6265 cookie-octet: visible US-ASCII except DQUOTE, comma, semicolon
// and backslash.
bool is_cookie_octet(char c) {
    auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) || (u >= 0x3C && u <= 0x5B) ||
           (u >= 0x5D && u <= 0x7E);
}

bool is_token68_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool all_cookie_octets(std::string_view v) { return std::all_of(v.begin(), v.end(), is_cookie_octet); }

// The value of one `name=value` pair if it is well formed, else nullopt.
std::optional<std::string_view> pair_value(std::string_view pair, std::string_view name) {
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto n = trim(pair.substr(0, eq));
    if (n != name) return std::nullopt;
    auto v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.size() > max_cookie_value || !all_cookie_octets(v)) return std::nullopt;
    return v;
}

constexpr std::string_view attributes = "; Path=/; HttpOnly; SameSite=Strict; Max-Age=";

}  // namespace

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    // A name that is not a token can never be well formed: nothing matches.
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) return std::nullopt;
    while (!header.empty()) {
        auto semi = header.find(';');
        auto pair = header.substr(0, semi);
        if (auto v = pair_value(pair, name)) return std::string(*v);
        if (semi == std::string_view::npos) break;
        header.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view header) {
    header = trim(header);
    constexpr std::string_view scheme = "bearer";
    if (header.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        char c = header[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != scheme[i]) return std::nullopt;
    }
    header.remove_prefix(scheme.size());
    if (header.front() != ' ') return std::nullopt;
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    auto token = header;
    if (token.empty() || token.size() > max_bearer_token) return std::nullopt;
    std::size_t i = 0;
    while (i < token.size() && is_token68_char(token[i])) ++i;
    if (i == 0) return std::nullopt;  // "=" alone, or no token68 character first
    while (i < token.size() && token[i] == '=') ++i;
    if (i != token.size()) return std::nullopt;
    return std::string(token);
}

std::string session_cookie(std::string_view value, std::chrono::seconds max_age, bool secure) {
    if (value.empty() || value.size() > max_cookie_value || !all_cookie_octets(value))
        throw std::invalid_argument("session cookie value must be 1-4096 cookie-octets");
    auto seconds = std::max<std::chrono::seconds::rep>(max_age.count(), 0);
    std::string out;
    out.reserve(session_cookie_name.size() + value.size() + 80);
    out.append(session_cookie_name).append("=").append(value);
    out.append(attributes).append(std::to_string(seconds));
    if (secure) out.append("; Secure");
    return out;
}

std::string clear_session_cookie(bool secure) {
    std::string out(session_cookie_name);
    out.append("=").append(attributes).append("0");
    if (secure) out.append("; Secure");
    return out;
}

}  // namespace solgrid::http_api
