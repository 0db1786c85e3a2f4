#include "http/credentials.hpp"

#include <cctype>

namespace solgrid::http_api {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool token68_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/';
}

}  // namespace

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        auto pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trim(pair.substr(0, eq)) != name) continue;
        auto value = trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        if (value.size() > 4096) return std::nullopt;
        return std::string(value);
    }
    return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view header) {
    header = trim(header);
    if (header.size() < 7) return std::nullopt;
    static constexpr std::string_view scheme = "bearer";
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return std::nullopt;
    auto rest = header.substr(scheme.size());
    if (rest.empty() || rest.front() != ' ') return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty() || rest.size() > 512) return std::nullopt;
    std::size_t i = 0;
    while (i < rest.size() && token68_char(rest[i])) ++i;
    if (i == 0) return std::nullopt;
    while (i < rest.size() && rest[i] == '=') ++i;
    if (i != rest.size()) return std::nullopt;
    return std::string(rest);
}

std::string session_cookie(std::string_view value, std::chrono::seconds max_age, bool secure) {
    std::string c = "solgrid_session=";
    c += value;
    c += "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
    if (secure) c += "; Secure";
    return c;
}

std::string clear_session_cookie(bool secure) { return session_cookie("", std::chrono::seconds(0), secure); }

}  // namespace solgrid::http_api
