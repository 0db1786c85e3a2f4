#include "app/admin_cli.hpp"

#include "app/cli_support.hpp"
#include "app/server_app.hpp"
#include "domain/auth_service.hpp"
#include "crypto/secrets.hpp"
#include "storage/database.hpp"
#include "storage/sql_auth_store.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>

namespace solgrid::app {

namespace asio = boost::asio;

namespace {

constexpr std::size_t min_password = domain::min_password_length, max_password = domain::max_password_length;

using cli::await;
using cli::command_failed;
using cli::usage_error;


void check_name(const std::string& what, const std::string& s) {
    if (!domain::valid_account_name(s))
        throw usage_error("invalid " + what + " '" + s + "': use 1-64 characters of A-Z a-z 0-9 . _ @ -");
}

// While typed at a terminal, the terminal does not echo the password.
class terminal_echo_off {
public:
    explicit terminal_echo_off(bool from_terminal) {
        if (!from_terminal || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
        std::cerr << "password: " << std::flush;
    }
    ~terminal_echo_off() {
        if (!active_) return;
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
        std::cerr << "\n";
    }
    terminal_echo_off(const terminal_echo_off&) = delete;
    terminal_echo_off& operator=(const terminal_echo_off&) = delete;

private:
    termios saved_{};
    bool active_ = false;
};

// One line from `in`, without its line end; never more than the limit (so a
// huge input is refused, not read). The password is never echoed.
std::string read_password(std::istream& in) {
    terminal_echo_off quiet(&in == &std::cin && isatty(STDIN_FILENO));
    std::string pw;
    char c = 0;
    bool newline = false;
    while (pw.size() <= max_password + 1 && in.get(c)) {
        if (c == '\n') {
            newline = true;
            break;
        }
        pw.push_back(c);
    }
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    if (pw.empty() && !newline) throw usage_error("no password on stdin (pipe one line into --password-stdin)");
    if (pw.size() < min_password)
        throw usage_error("password too short: at least " + std::to_string(min_password) + " characters");
    if (pw.size() > max_password)
        throw usage_error("password too long: at most " + std::to_string(max_password) + " characters");
    return pw;
}

std::string time_or_dash(const std::optional<domain::time_point>& t) {
    return t ? domain::to_iso8601(*t) : "-";
}

// Columns separated by two spaces, padded to the widest cell.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    if (rows.empty()) return;
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        out << line << "\n";
    }
}

class admin_runner {
public:
    admin_runner(domain::auth_store& store, std::istream& in, std::ostream& out) : store_(store), in_(in), out_(out) {}

    void audit(const std::string& action, const std::string& target, const std::string& outcome,
               const std::string& detail) {
        domain::audit_entry e;
        e.at = domain::clock::now();
        e.actor = "cli";
        e.action = action;
        e.target = target;
        e.outcome = outcome;
        e.detail = detail;
        await(store_.append_audit(std::move(e)));
    }

    void user_add(const std::string& name, const std::string& role_name, std::string household, bool from_stdin) {
        check_name("user name", name);
        auto role = domain::role_from(role_name);
        if (!role) throw usage_error("unknown role '" + role_name + "': admin, operator, household or viewer");
        std::optional<char> letter;
        if (*role == domain::role::household) {
            if (household.size() == 1) household[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(household[0])));
            if (household.empty()) throw usage_error("role household needs --household A, B, C or D");
            if (household.size() != 1 || household[0] < 'A' || household[0] > 'D')
                throw usage_error("invalid household '" + household + "': A, B, C or D");
            letter = household[0];
        } else if (!household.empty()) {
            throw usage_error("--household is only for role household");
        }
        if (!from_stdin) throw usage_error("the password comes from stdin only: add --password-stdin");
        std::string pw = read_password(in_);
        domain::user u;
        u.username = name;
        u.role_ = *role;
        u.household = letter;
        u.password_hash = crypto::hash_password(pw);
        u.created_at = domain::clock::now();
        std::string detail = "role " + std::string(domain::to_string(*role)) +
                             (letter ? std::string(" household ") + *letter : std::string());
        try {
            await(store_.add_user(std::move(u)));
        } catch (const domain::storage_refused& e) {
            audit("user.add", name, "failed", e.what());
            throw command_failed("cannot add user " + name + ": " + e.what());
        }
        audit("user.add", name, "ok", detail);
        out_ << "user " << name << " added (" << detail << ")\n";
    }

    void user_list() {
        std::vector<std::vector<std::string>> rows{{"USERNAME", "ROLE", "HOUSEHOLD", "CREATED"}};
        for (const auto& u : await(store_.list_users()))
            rows.push_back({u.username, std::string(domain::to_string(u.role_)),
                            u.household ? std::string(1, *u.household) : "-", domain::to_iso8601(u.created_at)});
        print_table(out_, rows);
    }

    void user_passwd(const std::string& name, bool from_stdin) {
        check_name("user name", name);
        if (!from_stdin) throw usage_error("the password comes from stdin only: add --password-stdin");
        std::string pw = read_password(in_);
        if (!await(store_.set_password(name, crypto::hash_password(pw)))) {
            audit("user.passwd", name, "failed", "no such user");
            throw command_failed("no such user: " + name);
        }
        audit("user.passwd", name, "ok", "");
        out_ << "password of " << name << " changed\n";
    }

    void user_remove(const std::string& name) {
        check_name("user name", name);
        auto u = await(store_.find_user(name));
        if (!u) {
            audit("user.remove", name, "failed", "no such user");
            throw command_failed("no such user: " + name);
        }
        if (u->role_ == domain::role::admin) {
            auto all = await(store_.list_users());
            auto admins = std::count_if(all.begin(), all.end(), [](const auto& x) { return x.role_ == domain::role::admin; });
            if (admins <= 1) {
                audit("user.remove", name, "failed", "last admin");
                throw command_failed("refusing to remove " + name + ", the last admin: add another admin first");
            }
        }
        if (!await(store_.remove_user(name))) throw command_failed("no such user: " + name);
        audit("user.remove", name, "ok", "");
        out_ << "user " << name << " removed (its sessions ended, its tokens revoked)\n";
    }

    void device_add(const std::string& name) {
        check_name("device name", name);
        add_token(domain::token_kind::device, name, std::nullopt, "sgd_", "device.add",
                  "device " + name + " added; its token (shown only this once):");
    }

    void token_add(const std::string& username, std::string label) {
        check_name("user name", username);
        if (label.empty()) label = username;
        check_name("token name", label);
        auto u = await(store_.find_user(username));
        if (!u) {
            audit("token.add", label, "failed", "no such user " + username);
            throw command_failed("no such user: " + username);
        }
        add_token(domain::token_kind::user, label, u->id, "sgu_", "token.add",
                  "token " + label + " added, acting as " + username + " (role " +
                      std::string(domain::to_string(u->role_)) + "); its Bearer token (shown only this once):");
    }

    void token_list(domain::token_kind kind) {
        std::map<std::int64_t, std::string> names;
        if (kind == domain::token_kind::user)
            for (const auto& u : await(store_.list_users())) names[u.id] = u.username;
        std::vector<std::vector<std::string>> rows;
        if (kind == domain::token_kind::user)
            rows.push_back({"NAME", "USER", "CREATED", "LAST USED", "REVOKED"});
        else
            rows.push_back({"NAME", "CREATED", "LAST USED", "REVOKED"});
        for (const auto& t : await(store_.list_tokens(kind))) {
            std::vector<std::string> row{t.name};
            if (kind == domain::token_kind::user) {
                auto it = t.user_id ? names.find(*t.user_id) : names.end();
                row.push_back(it != names.end() ? it->second : "(removed)");
            }
            row.push_back(domain::to_iso8601(t.created_at));
            row.push_back(time_or_dash(t.last_used_at));
            row.push_back(time_or_dash(t.revoked_at));
            rows.push_back(std::move(row));
        }
        print_table(out_, rows);
    }

    void revoke(domain::token_kind kind, const std::string& name) {
        const bool device = kind == domain::token_kind::device;
        check_name(device ? "device name" : "token name", name);
        const std::string action = device ? "device.revoke" : "token.revoke";
        if (!await(store_.revoke_token(kind, name, domain::clock::now()))) {
            audit(action, name, "failed", "none active");
            throw command_failed(std::string("no active ") + (device ? "device" : "token") + " named " + name);
        }
        audit(action, name, "ok", "");
        out_ << (device ? "device " : "token ") << name << " revoked\n";
    }

private:
    void add_token(domain::token_kind kind, const std::string& name, std::optional<std::int64_t> user_id,
                   const char* prefix, const std::string& action, const std::string& heading) {
        std::string secret = crypto::random_token(prefix);
        domain::api_token t;
        t.kind = kind;
        t.name = name;
        t.user_id = user_id;
        t.created_at = domain::clock::now();
        try {
            await(store_.add_token(std::move(t), crypto::token_hash(secret)));
        } catch (const domain::storage_refused& e) {
            audit(action, name, "failed", e.what());
            throw command_failed(std::string(e.what()) + ": revoke it first, or choose another name");
        }
        audit(action, name, "ok", user_id ? "user token" : "device token");
        out_ << heading << "\n" << secret << "\n";
        out_.flush();
    }

    domain::auth_store& store_;
    std::istream& in_;
    std::ostream& out_;
};

void dispatch(const admin_commands& c, admin_runner& r) {
    if (c.user_add->parsed()) return r.user_add(c.name, c.role, c.household, c.password_stdin);
    if (c.user_list->parsed()) return r.user_list();
    if (c.user_passwd->parsed()) return r.user_passwd(c.name, c.password_stdin);
    if (c.user_remove->parsed()) return r.user_remove(c.name);
    if (c.device_add->parsed()) return r.device_add(c.name);
    if (c.device_list->parsed()) return r.token_list(domain::token_kind::device);
    if (c.device_revoke->parsed()) return r.revoke(domain::token_kind::device, c.name);
    if (c.token_add->parsed()) return r.token_add(c.name, c.label);
    if (c.token_list->parsed()) return r.token_list(domain::token_kind::user);
    if (c.token_revoke->parsed()) return r.revoke(domain::token_kind::user, c.name);
    throw usage_error("missing command (--help lists them)");
}

}  // namespace

bool admin_commands::parsed() const {
    return (user && user->parsed()) || (device && device->parsed()) || (token && token->parsed());
}

void add_admin_commands(CLI::App& cli, admin_commands& c, std::string& db_path) {
    c.user = cli.add_subcommand("user", "manage users: add, list, passwd, remove");
    c.device = cli.add_subcommand("device", "manage device tokens (sensor posts): add, list, revoke");
    c.token = cli.add_subcommand("token", "manage user tokens (Bearer tokens for scripts): add, list, revoke");
    for (auto* g : {c.user, c.device, c.token}) g->require_subcommand(1);
    auto leaf = [&](CLI::App* group, const char* name, const char* help) {
        auto* s = group->add_subcommand(name, help);
        s->add_option("--db-path", db_path, "SQLite file (DB_PATH); MySQL instead when DB_HOST is set");
        return s;
    };
    c.user_add = leaf(c.user, "add", "add a user; the password is read from stdin (one line)");
    c.user_add->add_option("name", c.name, "user name (1-64 of A-Z a-z 0-9 . _ @ -)")->required();
    c.user_add->add_option("--role", c.role, "admin, operator, household or viewer")->required();
    c.user_add->add_option("--household", c.household, "A-D, for role household only");
    c.user_add->add_flag("--password-stdin", c.password_stdin, "read the password from stdin (required)");
    c.user_list = leaf(c.user, "list", "list users");
    c.user_passwd = leaf(c.user, "passwd", "set a user's password, read from stdin (one line)");
    c.user_passwd->add_option("name", c.name, "user name")->required();
    c.user_passwd->add_flag("--password-stdin", c.password_stdin, "read the password from stdin (required)");
    c.user_remove = leaf(c.user, "remove", "remove a user, end its sessions, revoke its tokens");
    c.user_remove->add_option("name", c.name, "user name")->required();

    c.device_add = leaf(c.device, "add", "add a device; prints its token once (the last line)");
    c.device_add->add_option("name", c.name, "device name (1-64 of A-Z a-z 0-9 . _ @ -)")->required();
    c.device_list = leaf(c.device, "list", "list devices (never their tokens)");
    c.device_revoke = leaf(c.device, "revoke", "revoke a device's token");
    c.device_revoke->add_option("name", c.name, "device name")->required();

    c.token_add = leaf(c.token, "add", "add a Bearer token acting as USER; prints it once (the last line)");
    c.token_add->add_option("user", c.name, "the user it acts as")->required();
    c.token_add->add_option("--name", c.label, "its name (default: the user name)");
    c.token_list = leaf(c.token, "list", "list user tokens (never the tokens themselves)");
    c.token_revoke = leaf(c.token, "revoke", "revoke a user token by name");
    c.token_revoke->add_option("name", c.name, "token name")->required();
}

int admin_usage_exit(const admin_commands& cmd, int code) { return code != 0 && cmd.parsed() ? 2 : code; }

int run_admin_command(const admin_commands& cmd, const config::config& cfg, std::istream& in, std::ostream& out,
                      std::ostream& err) {
    cli::log_to_stderr(cfg.log_level);
    try {
        storage::database db(database_options_from(cfg));
        storage::sql_auth_store store(db);
        admin_runner runner(store, in, out);
        try {
            dispatch(cmd, runner);
        } catch (...) {
            db.close();
            throw;
        }
        db.close();
        return 0;
    } catch (const usage_error& e) {
        err << "solgrid: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "solgrid: " << e.what() << "\n";
        return 1;
    }
}

bool ensure_first_admin(domain::auth_store& store, const config::config& cfg, std::ostream& out) {
    if (await(store.count_users()) > 0) return false;
    const bool random = cfg.admin_password.empty();
    const std::string password = random ? crypto::random_token("", 18) : cfg.admin_password;
    domain::user u;
    u.username = "admin";
    u.role_ = domain::role::admin;
    u.password_hash = crypto::hash_password(password);
    u.created_at = domain::clock::now();
    try {
        await(store.add_user(std::move(u)));
    } catch (const domain::storage_refused&) {
        return false;  // another instance created it first
    }
    domain::audit_entry e;
    e.at = domain::clock::now();
    e.actor = "system";
    e.action = "user.add";
    e.target = "admin";
    e.outcome = "ok";
    e.detail = random ? "first admin, random password" : "first admin, password from ADMIN_PASSWORD";
    await(store.append_audit(std::move(e)));
    if (random) {
        out << "\n================================================================\n"
            << "solgrid: created user admin with password " << password
            << " — change it with solgrid user passwd admin --password-stdin\n"
            << "================================================================\n\n";
    } else {
        out << "solgrid: created user admin with the password from ADMIN_PASSWORD\n";
    }
    out.flush();
    return true;
}

}  // namespace solgrid::app
