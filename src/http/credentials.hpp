// Credentials in HTTP headers: the session cookie and Bearer tokens. Pure
// functions over hostile bytes (fuzzed: fuzz/fuzz_credentials).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace solgrid::http_api {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), unquoted;
// first match wins; malformed pairs are skipped; nullopt if absent or over 4096 bytes.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of "Bearer <token68>" (scheme case-insensitive); nullopt otherwise or over 512 bytes.
std::optional<std::string> bearer_token(std::string_view authorization_header);

// Set-Cookie values for the session cookie.
std::string session_cookie(std::string_view value, std::chrono::seconds max_age, bool secure);
std::string clear_session_cookie(bool secure);

}  // namespace solgrid::http_api
