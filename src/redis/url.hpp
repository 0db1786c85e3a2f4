// REDIS_URL, `redis://[user:password@]host[:port][/db]`, read into the
// place to connect to and how to log in. Pure; throws std::invalid_argument
// saying what is wrong (the message never contains the password).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace solgrid::redis {

struct endpoint {
    std::string host;
    std::uint16_t port = 6379;
    std::string user;      // empty: AUTH <password> (the "default" user)
    std::string password;  // empty: no AUTH
    int db = 0;            // SELECT when not 0

    std::string address() const;  // host:port ([v6]:port), for logs
};

// `:password@` and `user:password@` are accepted (percent-encoded);
// rediss://, query strings and anything after /db are refused.
endpoint parse_url(std::string_view url);

// The URL with its password replaced by "***", for logs and errors.
std::string redact_url(std::string_view url);

}  // namespace solgrid::redis
