// Reading credentials out of request headers, and writing the session
// cookie: pure functions over text, no I/O, no allocation beyond the result.
// Any thread. Malformed input never throws: a parser answers nullopt (or
// skips the malformed part); only session_cookie() throws, for a value that
// could not be sent safely (a bug in the caller).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace solgrid::http_api {

// Longest cookie value cookie_value() returns; longer values are skipped.
inline constexpr std::size_t max_cookie_value = 4096;
// Longest token bearer_token() returns; a longer one is refused.
inline constexpr std::size_t max_bearer_token = 512;
// The browser session cookie's name (docs/api: `solgrid_session`).
inline constexpr std::string_view session_cookie_name = "solgrid_session";

// The value of cookie `name` in a Cookie header (RFC 6265 §4.2:
// `a=1; b="2"`). Pairs are separated by ';' with optional whitespace around
// it and around the '='; a value in double quotes is returned without them.
// Names match exactly (case-sensitive); the first well-formed pair with that
// name wins. A malformed pair (no '=', a name that is not an HTTP token, a
// value with characters outside RFC 6265's cookie-octet, or a value longer
// than max_cookie_value) is skipped, not fatal. An empty value ("a=") is
// returned as "". nullopt when no well-formed pair has that name.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1):
// the scheme `Bearer` in any case, one or more spaces, then a token68
// ([A-Za-z0-9-._~+/]+ followed by any '='), at most max_bearer_token bytes.
// Whitespace around the whole value (not part of a field value in HTTP) is
// ignored. Anything else (another scheme, no token, a comma, a second word)
// is nullopt.
std::optional<std::string> bearer_token(std::string_view authorization_header);

// The Set-Cookie value that starts a browser session:
//   solgrid_session=VALUE; Path=/; HttpOnly; SameSite=Strict; Max-Age=N[; Secure]
// A negative max_age is written as 0. Throws std::invalid_argument if
// `value` is empty, longer than max_cookie_value, or holds a character that
// is not a cookie-octet (it would let the value break out of the header).
std::string session_cookie(std::string_view value, std::chrono::seconds max_age, bool secure);

// The Set-Cookie value that ends it (same attributes, empty value, Max-Age=0).
std::string clear_session_cookie(bool secure);

}  // namespace solgrid::http_api
