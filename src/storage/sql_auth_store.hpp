// The auth_store port (users, sessions, Bearer tokens, audit log) over
// storage::database, for both dialects. Any executor may await it; the SQL
// runs on the database's threads. Fails as database does: storage_unavailable
// when the database cannot be reached, storage_refused for a duplicate
// username ("username taken") or a second active token of one kind and name
// ("an active token named X exists") or any other row the schema refuses.
// Uniqueness is checked inside the write transaction and enforced again by
// the schema (UNIQUE keys), so two processes (serve and the command line)
// cannot both win.
#pragma once

#include "domain/auth.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

class sql_auth_store final : public domain::auth_store {
public:
    explicit sql_auth_store(database& db) : db_(db) {}

    asio::awaitable<std::int64_t> count_users() override;
    asio::awaitable<std::optional<domain::user>> find_user(std::string username) override;
    asio::awaitable<std::vector<domain::user>> list_users() override;
    asio::awaitable<std::int64_t> add_user(domain::user u) override;
    asio::awaitable<bool> set_password(std::string username, std::string password_hash) override;
    asio::awaitable<bool> remove_user(std::string username) override;

    asio::awaitable<void> add_session(std::string token_hash, std::int64_t user_id, domain::time_point created,
                                      domain::time_point expires) override;
    asio::awaitable<std::optional<domain::user>> session_user(std::string token_hash, domain::time_point now) override;
    asio::awaitable<void> remove_session(std::string token_hash) override;
    asio::awaitable<std::size_t> remove_expired_sessions(domain::time_point now) override;

    asio::awaitable<std::int64_t> add_token(domain::api_token t, std::string token_hash) override;
    asio::awaitable<std::optional<token_match>> find_token(std::string token_hash) override;
    asio::awaitable<std::vector<domain::api_token>> list_tokens(domain::token_kind kind) override;
    asio::awaitable<bool> revoke_token(domain::token_kind kind, std::string name, domain::time_point at) override;
    asio::awaitable<void> touch_token(std::int64_t id, domain::time_point at) override;

    asio::awaitable<domain::credential_snapshot> load_credentials(domain::time_point now) override;

    asio::awaitable<void> append_audit(domain::audit_entry e) override;
    asio::awaitable<std::vector<domain::audit_entry>> audit_between(domain::time_point from, domain::time_point to,
                                                                    std::size_t limit) override;

private:
    database& db_;
};

}  // namespace solgrid::storage
