// Secrets: Argon2id password hashes, random tokens, token hashes and
// constant-time comparison (libsodium; SHA-256 from OpenSSL). No hand-written
// crypto. Thread-safe (call init() once before threads start; the functions
// call it too). hash_password/verify_password take ~0.1 s and 64 MiB each:
// never on a network thread.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace solgrid::crypto {

// Initialises libsodium; throws std::runtime_error if it cannot.
void init();

// How much an Argon2id hash costs: `interactive` (libsodium's interactive
// limits, ~0.1 s and 64 MiB: every real password) or `minimal` (microseconds:
// only for the fuzz target, which must run thousands of logins a second).
enum class password_cost { interactive, minimal };

// An Argon2id string ($argon2id$v=19$m=...,t=...,p=1$salt$hash). Throws
// std::runtime_error when out of memory. Verifying reads the cost back from
// the string.
std::string hash_password(std::string_view password, password_cost cost = password_cost::interactive);

// True if `password` matches `stored` (an Argon2id string); false for a
// wrong password or a malformed `stored`.
bool verify_password(std::string_view stored, std::string_view password);

// `bytes` random bytes as base64url without padding (32 bytes → 43 chars),
// after `prefix` ("sgd_" for a device token, ...).
std::string random_token(std::string_view prefix = {}, std::size_t bytes = 32);

// SHA-256 of `secret`, as 64 lowercase hex digits: how sessions and tokens
// are stored and looked up.
std::string token_hash(std::string_view secret);

// Compares in time that depends only on the lengths.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace solgrid::crypto
