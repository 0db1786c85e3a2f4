// Who may do what: users and their roles, browser sessions, Bearer tokens
// (devices and scripts) and the audit log — the records and the store port
// the access-control rules need. storage/sql_auth_store implements the port
// for both dialects; app/ wires it in. Secrets never enter this layer in the
// clear except a password on its way to the hasher: sessions and tokens are
// stored as the SHA-256 of the random value handed to the client, passwords
// as Argon2id strings.
#pragma once

#include "domain/types.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::domain {

namespace asio = boost::asio;

// admin: everything, manages users and devices; operator: switches any relay,
// sees everything; household: bound to one of A–D, switches (and later
// trades for) its own household only; viewer: reads only.
enum class role { admin, operator_, household, viewer };

std::string_view to_string(role r);                    // "admin", "operator", "household", "viewer"
std::optional<role> role_from(std::string_view name);  // nullopt for anything else

struct user {
    std::int64_t id = 0;
    std::string username;
    role role_ = role::viewer;
    std::optional<char> household;  // 'A'..'D' for role::household, else nullopt
    std::string password_hash;      // Argon2id string ($argon2id$...); never leaves the server
    time_point created_at{};
};

enum class token_kind { device, user };
std::string_view to_string(token_kind k);  // "device", "user"

// A Bearer token as stored (its secret only as a hash, kept by the store).
struct api_token {
    std::int64_t id = 0;
    token_kind kind = token_kind::device;
    std::string name;                      // device name, or the label of a user token
    std::optional<std::int64_t> user_id;   // the user a token of kind user acts as
    time_point created_at{};
    std::optional<time_point> last_used_at;
    std::optional<time_point> revoked_at;  // set once revoked; a revoked token never works again
};

// One line of the audit log. `actor` is a username, "device:NAME",
// "token:NAME" (a script's user token), "cli" or "anonymous"; `address` the
// client address ("" for the command line); `action` a dotted name such as
// "relay.update", "auth.login", "user.add", "device.revoke"; `outcome` "ok",
// "denied" (authorisation refused), "failed" (bad credentials, bad input).
struct audit_entry {
    std::int64_t id = 0;
    time_point at{};
    std::string actor;
    std::string address;
    std::string action;
    std::string target;   // "A", a username, a device name, ...
    std::string outcome;
    std::string detail;   // short free text (never a secret)
};

// Every credential that works at one instant: what auth_service keeps in
// memory so that checking a request or a Socket.IO handshake needs no
// database round trip (reloaded every few seconds, so changes made by the
// command line or another instance take effect within that time).
struct credential_snapshot {
    std::vector<user> users;
    struct session_row {
        std::string token_hash;
        std::int64_t user_id = 0;
        time_point expires_at{};
    };
    std::vector<session_row> sessions;  // not expired at the time asked
    struct token_row {
        api_token token;
        std::string token_hash;
    };
    std::vector<token_row> tokens;  // active (not revoked) only
};

// The store of users, sessions, tokens and the audit log. Any executor may
// await it; database errors surface as storage_unavailable, a refused row
// (duplicate username, duplicate active token name) as storage_refused.
class auth_store {
public:
    virtual ~auth_store() = default;

    // users
    virtual asio::awaitable<std::int64_t> count_users() = 0;
    virtual asio::awaitable<std::optional<user>> find_user(std::string username) = 0;
    virtual asio::awaitable<std::vector<user>> list_users() = 0;  // by username
    // Returns the new id; storage_refused if the username is taken.
    virtual asio::awaitable<std::int64_t> add_user(user u) = 0;
    // False if no such user.
    virtual asio::awaitable<bool> set_password(std::string username, std::string password_hash) = 0;
    // Removes the user, its sessions and its user tokens (revoked); false if no such user.
    virtual asio::awaitable<bool> remove_user(std::string username) = 0;

    // sessions, by the SHA-256 (hex) of the cookie value
    virtual asio::awaitable<void> add_session(std::string token_hash, std::int64_t user_id, time_point created,
                                              time_point expires) = 0;
    // The session's user while the session exists and has not expired at `now`.
    virtual asio::awaitable<std::optional<user>> session_user(std::string token_hash, time_point now) = 0;
    virtual asio::awaitable<void> remove_session(std::string token_hash) = 0;
    // Removes sessions expired at `now`; returns how many.
    virtual asio::awaitable<std::size_t> remove_expired_sessions(time_point now) = 0;

    // tokens, by the SHA-256 (hex) of the token
    // Returns the new id; storage_refused if an active (not revoked) token of
    // the same kind already has this name.
    virtual asio::awaitable<std::int64_t> add_token(api_token t, std::string token_hash) = 0;
    struct token_match {
        api_token token;
        std::optional<user> owner;  // kind user: the user it acts as
    };
    // Active tokens only (never a revoked one, never a user token whose user is gone).
    virtual asio::awaitable<std::optional<token_match>> find_token(std::string token_hash) = 0;
    virtual asio::awaitable<std::vector<api_token>> list_tokens(token_kind kind) = 0;  // revoked ones included
    // Revokes the active token of that kind and name; false if none.
    virtual asio::awaitable<bool> revoke_token(token_kind kind, std::string name, time_point at) = 0;
    // Records a use (last_used_at); callers do this at most once a minute per token.
    virtual asio::awaitable<void> touch_token(std::int64_t id, time_point at) = 0;

    // Users, unexpired sessions and active tokens, read in one transaction.
    virtual asio::awaitable<credential_snapshot> load_credentials(time_point now) = 0;

    // audit log
    virtual asio::awaitable<void> append_audit(audit_entry e) = 0;
    // Entries with from <= at < to, oldest first, at most `limit`.
    virtual asio::awaitable<std::vector<audit_entry>> audit_between(time_point from, time_point to,
                                                                     std::size_t limit) = 0;
};

}  // namespace solgrid::domain
