// Access control's use-cases: who a session cookie or Bearer token belongs
// to, logging in and out (with failure limits), managing users and device
// tokens, and the audit log. Every credential that works is held in memory
// (a snapshot of the store, reloaded every few seconds by the app and at
// once after every change made here), so checking a request or a Socket.IO
// handshake is a hash and a map lookup, synchronous, on any thread; a change
// made by the command line or another instance takes effect within one reload.
// Credentials that disappear (logout, revoke, user removed, session expired)
// are reported to on_revoked listeners (the app disconnects their sockets).
// Password hashing (Argon2id, ~0.1 s and 64 MiB) runs on `hashing`, never on
// the caller's thread. Store failures surface as storage_unavailable /
// storage_refused as everywhere in the domain.
#pragma once

#include "crypto/secrets.hpp"
#include "domain/auth.hpp"
#include "domain/rate_limit.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

namespace solgrid::domain {

// Who is asking.
struct principal {
    enum class via { session, user_token, device_token };
    via source = via::session;
    std::string name;                  // username; the device's name for a device token
    std::optional<role> role_;         // nullopt for a device
    std::optional<char> household;     // for role::household
    std::optional<std::int64_t> user_id;
    std::string token_name;            // the token's name (user/device tokens)
    // Identifies the credential ("s:<hash prefix>", "t:<token id>"), for
    // disconnecting what it opened when it is revoked.
    std::string credential;
    std::string session_hash;          // via::session: the session's key

    bool is_device() const { return source == via::device_token; }
    // For the audit log: "alice", "device:meter-1", "alice (token:backup)".
    std::string actor() const;
    bool may_switch(char relay) const;  // admin/operator any, household its own
    bool is_admin() const { return role_ == role::admin; }
};

struct auth_settings {
    std::chrono::seconds session_ttl{168 * 3600};
    int max_failures = 5;
    std::chrono::seconds failure_window{900};
    double login_rate = 1.0;  // per address
    int login_burst = 10;
    crypto::password_cost cost = crypto::password_cost::interactive;  // minimal only in the fuzz target
};

// The one rule for names (users, devices, tokens): 1-64 characters of
// A-Z a-z 0-9 . _ @ -; and for password lengths. The command line and the
// HTTP routes both check against these.
bool valid_account_name(std::string_view name);
inline constexpr std::size_t min_password_length = 8, max_password_length = 1024;

// What is wrong with a name/password/role given by a person (nullopt: fine).
std::optional<std::string> check_username(std::string_view name);
std::optional<std::string> check_password(std::string_view password);
std::optional<std::string> check_device_name(std::string_view name);

class auth_service {
public:
    auth_service(auth_store& store, auth_settings s, asio::any_io_executor hashing);

    // Loads the snapshot (call once before serving, then every few seconds).
    asio::awaitable<void> reload();
    // Deletes expired sessions from the store (now and then; they already
    // stopped working when they expired).
    asio::awaitable<std::size_t> purge_expired_sessions();

    std::optional<principal> by_session(std::string_view cookie_value) const;
    std::optional<principal> by_token(std::string_view bearer) const;

    struct login_result {
        enum class outcome { ok, bad_credentials, throttled } what = outcome::bad_credentials;
        std::optional<principal> who;
        std::string cookie;                 // the session cookie's value (ok)
        std::chrono::seconds retry_after{};  // throttled
    };
    asio::awaitable<login_result> login(std::string username, std::string password, std::string address);
    asio::awaitable<void> logout(const principal& p, std::string address);

    // Administration (HTTP admin routes); each writes an audit row with
    // `actor`/`address`. Bad input throws std::invalid_argument naming it,
    // a conflict std::domain_error ("username taken", "the last admin").
    asio::awaitable<user> add_user(std::string username, std::string password, role r, std::optional<char> household,
                                   std::string actor, std::string address);
    asio::awaitable<bool> set_password(std::string username, std::string password, std::string actor,
                                       std::string address);
    asio::awaitable<bool> remove_user(std::string username, std::string actor, std::string address);
    asio::awaitable<std::vector<user>> users();
    // Returns the token (shown once).
    asio::awaitable<std::string> add_device(std::string name, std::string actor, std::string address);
    asio::awaitable<bool> revoke_device(std::string name, std::string actor, std::string address);
    asio::awaitable<std::vector<api_token>> devices();

    asio::awaitable<void> audit(std::string actor, std::string address, std::string action, std::string target,
                                std::string outcome, std::string detail = {});
    asio::awaitable<std::vector<audit_entry>> audit_log(time_point from, time_point to, std::size_t limit);

    using revoked_listener = std::function<void(const std::vector<std::string>& credentials)>;
    void on_revoked(revoked_listener l) { listeners_.push_back(std::move(l)); }

    // The password of the dummy hash checked for unknown users (equal timing).
    static constexpr std::string_view dummy_password = "solgrid-dummy-password";

private:
    struct snapshot {
        std::unordered_map<std::int64_t, user> users;
        std::unordered_map<std::string, credential_snapshot::session_row> sessions;  // by hash
        std::unordered_map<std::string, credential_snapshot::token_row> tokens;      // by hash
        std::unordered_set<std::string> credentials() const;
    };
    asio::awaitable<bool> verify(std::string stored, std::string password);
    asio::awaitable<std::string> hash(std::string password);
    std::optional<principal> session_principal(const snapshot& s, const std::string& hash) const;
    // After a change: its audit row ("ok"), then a reload (which disconnects what it revoked).
    asio::awaitable<void> changed(std::string actor, std::string address, std::string action, std::string target);

    auth_store& store_;
    auth_settings settings_;
    asio::any_io_executor hashing_;
    std::string dummy_hash_;

    mutable std::shared_mutex mutex_;
    std::shared_ptr<const snapshot> current_ = std::make_shared<snapshot>();
    // Sessions made here and not yet seen in a reload (a reload that began
    // before their commit must not drop them), and sessions ended here.
    // Each with the reload generation current when its commit finished: a
    // reload that began after that saw it in the store (or it is gone there).
    struct fresh_session {
        credential_snapshot::session_row row;
        std::uint64_t committed_in = 0;
    };
    std::unordered_map<std::string, fresh_session> fresh_sessions_;
    std::uint64_t generation_ = 0;  // reloads begun (under mutex_)
    std::uint64_t installed_ = 0;   // the generation of current_ (an older load never replaces a newer one)
    std::unordered_set<std::string> ended_sessions_;
    mutable std::mutex used_mutex_;
    mutable std::unordered_map<std::int64_t, time_point> tokens_used_;  // touched on the next reload
    std::unordered_map<std::int64_t, time_point> tokens_touched_;

    failure_window user_failures_, address_failures_;
    token_buckets login_buckets_;
    std::vector<revoked_listener> listeners_;
};

}  // namespace solgrid::domain
