#include "domain/auth_service.hpp"

#include "crypto/secrets.hpp"
#include "domain/ports.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace solgrid::domain {
namespace {

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@';
}

std::optional<std::string> check_name(std::string_view what, std::string_view name) {
    if (name.empty() || name.size() > 64)
        return std::string(what) + " must be 1 to 64 characters";
    if (!valid_account_name(name))
        return std::string(what) + " may contain only letters, digits, '.', '_', '-' and '@'";
    return std::nullopt;
}

// Runs on the hashing executor (co_spawned there), completes on the caller's.
asio::awaitable<bool> verify_job(std::string stored, std::string password) {
    co_return crypto::verify_password(stored, password);
}
asio::awaitable<std::string> hash_job(std::string password, crypto::password_cost cost) {
    co_return crypto::hash_password(password, cost);
}

}  // namespace

bool valid_account_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), name_char);
}

std::optional<std::string> check_username(std::string_view name) { return check_name("username", name); }
std::optional<std::string> check_device_name(std::string_view name) { return check_name("device name", name); }

std::optional<std::string> check_password(std::string_view password) {
    if (password.size() < min_password_length)
        return "password must be at least " + std::to_string(min_password_length) + " characters";
    if (password.size() > max_password_length)
        return "password must be at most " + std::to_string(max_password_length) + " characters";
    return std::nullopt;
}

std::string principal::actor() const {
    switch (source) {
        case via::session: return name;
        case via::user_token: return name + " (token:" + token_name + ")";
        case via::device_token: return "device:" + name;
    }
    return name;
}

bool principal::may_switch(char relay) const {
    if (!role_) return false;
    if (*role_ == role::admin || *role_ == role::operator_) return true;
    return *role_ == role::household && household == relay;
}

std::unordered_set<std::string> auth_service::snapshot::credentials() const {
    std::unordered_set<std::string> out;
    for (const auto& [hash, row] : sessions) out.insert("s:" + hash.substr(0, 16));
    for (const auto& [hash, row] : tokens) out.insert("t:" + std::to_string(row.token.id));
    return out;
}

auth_service::auth_service(auth_store& store, auth_settings s, asio::any_io_executor hashing)
    : store_(store),
      settings_(s),
      hashing_(std::move(hashing)),
      dummy_hash_(crypto::hash_password(dummy_password, s.cost)),
      user_failures_(s.max_failures, s.failure_window),
      address_failures_(s.max_failures, s.failure_window),
      login_buckets_(s.login_rate, s.login_burst) {}

asio::awaitable<bool> auth_service::verify(std::string stored, std::string password) {
    return asio::co_spawn(hashing_, verify_job(std::move(stored), std::move(password)), asio::use_awaitable);
}

asio::awaitable<std::string> auth_service::hash(std::string password) {
    return asio::co_spawn(hashing_, hash_job(std::move(password), settings_.cost), asio::use_awaitable);
}

asio::awaitable<void> auth_service::reload() {
    auto now = clock::now();
    // Token uses since the last reload: recorded at most once a minute each.
    std::unordered_map<std::int64_t, time_point> used;
    {
        std::lock_guard lock(used_mutex_);
        used.swap(tokens_used_);
    }
    for (const auto& [id, at] : used) {
        auto& last = tokens_touched_[id];
        if (at - last < std::chrono::minutes(1)) continue;
        last = at;
        co_await store_.touch_token(id, at);
    }

    std::uint64_t began = 0;
    {
        std::unique_lock lock(mutex_);
        began = ++generation_;
    }
    auto loaded = co_await store_.load_credentials(now);
    auto next = std::make_shared<snapshot>();
    for (auto& u : loaded.users) next->users.emplace(u.id, std::move(u));
    for (auto& s : loaded.sessions) next->sessions.emplace(s.token_hash, std::move(s));
    for (auto& t : loaded.tokens) next->tokens.emplace(t.token_hash, std::move(t));

    std::vector<std::string> gone;
    {
        std::unique_lock lock(mutex_);
        if (began < installed_) co_return;  // a newer load is already in place
        installed_ = began;
        for (auto it = fresh_sessions_.begin(); it != fresh_sessions_.end();) {
            // Committed before this load began: the store's answer is the truth.
            if (it->second.committed_in < began || it->second.row.expires_at <= now) {
                it = fresh_sessions_.erase(it);
            } else {
                next->sessions.emplace(it->first, it->second.row);
                ++it;
            }
        }
        for (const auto& h : ended_sessions_) next->sessions.erase(h);
        ended_sessions_.clear();
        auto before = current_->credentials();
        auto after = next->credentials();
        for (const auto& c : before)
            if (!after.count(c)) gone.push_back(c);
        current_ = std::move(next);
    }
    if (!gone.empty())
        for (const auto& l : listeners_) l(gone);
}

asio::awaitable<std::size_t> auth_service::purge_expired_sessions() {
    return store_.remove_expired_sessions(clock::now());
}

std::optional<principal> auth_service::session_principal(const snapshot& s, const std::string& hash) const {
    auto it = s.sessions.find(hash);
    if (it == s.sessions.end() || it->second.expires_at <= clock::now()) return std::nullopt;
    auto u = s.users.find(it->second.user_id);
    if (u == s.users.end()) return std::nullopt;
    principal p;
    p.source = principal::via::session;
    p.name = u->second.username;
    p.role_ = u->second.role_;
    p.household = u->second.household;
    p.user_id = u->second.id;
    p.credential = "s:" + hash.substr(0, 16);
    p.session_hash = hash;
    return p;
}

std::optional<principal> auth_service::by_session(std::string_view cookie_value) const {
    if (cookie_value.empty() || cookie_value.size() > 256) return std::nullopt;
    auto hash = crypto::token_hash(cookie_value);
    std::shared_lock lock(mutex_);
    return session_principal(*current_, hash);
}

std::optional<principal> auth_service::by_token(std::string_view bearer) const {
    if (bearer.empty() || bearer.size() > 256) return std::nullopt;
    auto hash = crypto::token_hash(bearer);
    principal p;
    {
        std::shared_lock lock(mutex_);
        const auto& s = *current_;
        auto it = s.tokens.find(hash);
        if (it == s.tokens.end()) return std::nullopt;
        const auto& t = it->second.token;
        p.token_name = t.name;
        p.credential = "t:" + std::to_string(t.id);
        if (t.kind == token_kind::device) {
            p.source = principal::via::device_token;
            p.name = t.name;
        } else {
            if (!t.user_id) return std::nullopt;
            auto u = s.users.find(*t.user_id);
            if (u == s.users.end()) return std::nullopt;
            p.source = principal::via::user_token;
            p.name = u->second.username;
            p.role_ = u->second.role_;
            p.household = u->second.household;
            p.user_id = u->second.id;
        }
        std::lock_guard used(used_mutex_);
        tokens_used_[t.id] = clock::now();
    }
    return p;
}

asio::awaitable<auth_service::login_result> auth_service::login(std::string username, std::string password,
                                                                std::string address) {
    login_result r;
    std::string user_key = "u:" + username.substr(0, 128);
    std::string address_key = "a:" + address;
    auto throttled = [&](std::chrono::seconds wait) {
        r.what = login_result::outcome::throttled;
        r.retry_after = wait;
        return r;
    };
    if (auto wait = address_failures_.blocked(address_key)) co_return throttled(*wait);
    if (auto wait = user_failures_.blocked(user_key)) co_return throttled(*wait);
    if (auto wait = login_buckets_.take(address_key)) co_return throttled(*wait);

    // (Each call its own statement: no temporary inside a co_await, GCC 12.)
    std::optional<user> u;
    if (username.size() <= 64) {
        auto find = store_.find_user(username);
        u = co_await std::move(find);
    }
    // An unknown user costs the same hash as a wrong password.
    auto check = verify(u ? u->password_hash : dummy_hash_, std::move(password));
    bool ok = co_await std::move(check);
    if (!u || !ok) {
        user_failures_.fail(user_key);
        address_failures_.fail(address_key);
        auto note = audit("anonymous", address, "auth.login", username.substr(0, 64), "failed",
                          u ? "wrong password" : "unknown user");
        co_await std::move(note);
        co_return r;
    }
    user_failures_.clear(user_key);

    auto cookie = crypto::random_token({}, 32);
    auto hash = crypto::token_hash(cookie);
    auto now = clock::now();
    credential_snapshot::session_row row{hash, u->id, now + settings_.session_ttl};
    auto add = store_.add_session(hash, u->id, now, row.expires_at);
    co_await std::move(add);
    {
        std::unique_lock lock(mutex_);
        fresh_sessions_.emplace(hash, fresh_session{row, generation_});
        auto next = std::make_shared<snapshot>(*current_);
        next->sessions.emplace(hash, row);
        next->users[u->id] = *u;
        current_ = std::move(next);
        r.who = session_principal(*current_, hash);
    }
    auto note = audit(u->username, address, "auth.login", u->username, "ok");
    co_await std::move(note);
    r.what = login_result::outcome::ok;
    r.cookie = std::move(cookie);
    co_return r;
}

asio::awaitable<void> auth_service::logout(const principal& p, std::string address) {
    if (p.source != principal::via::session) co_return;
    auto remove = store_.remove_session(p.session_hash);
    co_await std::move(remove);
    {
        std::unique_lock lock(mutex_);
        fresh_sessions_.erase(p.session_hash);
        ended_sessions_.insert(p.session_hash);
    }
    auto note = audit(p.actor(), address, "auth.logout", p.name, "ok");
    co_await std::move(note);
    co_await reload();
}

asio::awaitable<user> auth_service::add_user(std::string username, std::string password, role r,
                                             std::optional<char> household, std::string actor, std::string address) {
    if (auto why = check_username(username)) throw std::invalid_argument(*why);
    if (auto why = check_password(password)) throw std::invalid_argument(*why);
    if (r == role::household && !(household && *household >= 'A' && *household <= 'D'))
        throw std::invalid_argument("household must be one of A, B, C, D for role household");
    if (r != role::household && household) throw std::invalid_argument("household is only for role household");
    auto find = store_.find_user(username);
    if (co_await std::move(find)) throw std::domain_error("username taken: " + username);
    user u;
    u.username = username;
    u.role_ = r;
    u.household = household;
    auto hashing = hash(std::move(password));
    u.password_hash = co_await std::move(hashing);
    u.created_at = clock::now();
    auto add = store_.add_user(u);
    u.id = co_await std::move(add);
    auto note = audit(actor, address, "user.add", username, "ok",
                      std::string("role ") + std::string(to_string(r)) +
                          (household ? std::string(" household ") + *household : std::string()));
    co_await std::move(note);
    co_await reload();
    u.password_hash.clear();
    co_return u;
}

asio::awaitable<bool> auth_service::set_password(std::string username, std::string password, std::string actor,
                                                 std::string address) {
    if (auto why = check_password(password)) throw std::invalid_argument(*why);
    auto hashing = hash(std::move(password));
    auto h = co_await std::move(hashing);
    auto set = store_.set_password(username, h);
    bool ok = co_await std::move(set);
    if (ok) {
        auto done = changed(actor, address, "user.passwd", username);
        co_await std::move(done);  // its sessions ended: their sockets are disconnected
    }
    co_return ok;
}

asio::awaitable<bool> auth_service::remove_user(std::string username, std::string actor, std::string address) {
    auto find = store_.find_user(username);
    auto u = co_await std::move(find);
    if (!u) co_return false;
    if (u->role_ == role::admin) {
        auto all = co_await store_.list_users();
        auto admins = std::count_if(all.begin(), all.end(), [](const user& x) { return x.role_ == role::admin; });
        if (admins <= 1) throw std::domain_error("cannot remove the last admin");
    }
    auto remove = store_.remove_user(username);
    bool ok = co_await std::move(remove);
    if (ok) {
        auto done = changed(actor, address, "user.remove", username);
        co_await std::move(done);
    }
    co_return ok;
}

asio::awaitable<std::vector<user>> auth_service::users() {
    auto all = co_await store_.list_users();
    for (auto& u : all) u.password_hash.clear();
    co_return all;
}

asio::awaitable<std::string> auth_service::add_device(std::string name, std::string actor, std::string address) {
    if (auto why = check_device_name(name)) throw std::invalid_argument(*why);
    auto token = crypto::random_token("sgd_", 32);
    api_token t;
    t.kind = token_kind::device;
    t.name = name;
    t.created_at = clock::now();
    // The store refuses a second active token of that name, in its own transaction.
    bool taken = false;
    try {
        auto add = store_.add_token(t, crypto::token_hash(token));
        co_await std::move(add);
    } catch (const storage_refused&) {
        taken = true;
    }
    if (taken) throw std::domain_error("an active device token named " + name + " exists");
    auto done = changed(actor, address, "device.add", name);
    co_await std::move(done);
    co_return token;
}

asio::awaitable<bool> auth_service::revoke_device(std::string name, std::string actor, std::string address) {
    auto revoke = store_.revoke_token(token_kind::device, name, clock::now());
    bool ok = co_await std::move(revoke);
    if (ok) {
        auto done = changed(actor, address, "device.revoke", name);
        co_await std::move(done);
    }
    co_return ok;
}

asio::awaitable<std::vector<api_token>> auth_service::devices() { return store_.list_tokens(token_kind::device); }

asio::awaitable<void> auth_service::changed(std::string actor, std::string address, std::string action,
                                            std::string target) {
    auto note = audit(std::move(actor), std::move(address), std::move(action), std::move(target), "ok");
    co_await std::move(note);
    co_await reload();
}

asio::awaitable<void> auth_service::audit(std::string actor, std::string address, std::string action,
                                          std::string target, std::string outcome, std::string detail) {
    audit_entry e;
    e.at = clock::now();
    e.actor = std::move(actor);
    e.address = std::move(address);
    e.action = std::move(action);
    e.target = std::move(target);
    e.outcome = std::move(outcome);
    e.detail = std::move(detail);
    auto append = store_.append_audit(std::move(e));
    co_await std::move(append);
}

asio::awaitable<std::vector<audit_entry>> auth_service::audit_log(time_point from, time_point to, std::size_t limit) {
    return store_.audit_between(from, to, limit);
}

}  // namespace solgrid::domain
