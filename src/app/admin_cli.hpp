// `solgrid user|device|token`: accounts and Bearer tokens managed from the
// command line, on the same config and database as `serve` (--db-path, or
// MySQL when DB_HOST is set); and the first admin created when `serve` starts
// with no user. Main thread only. Exit codes: 0 done, 1 failed (no such
// user, name taken, database error), 2 bad usage (bad name, role, household
// or password); each message on stderr says which. Every change is audited
// (actor "cli"). Passwords only from stdin; never printed or logged. A new
// token is printed once, alone on stdout's last line.
#pragma once

#include "config/config.hpp"
#include "domain/auth.hpp"

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace solgrid::app {

struct admin_commands {
    CLI::App* user = nullptr;
    CLI::App* device = nullptr;
    CLI::App* token = nullptr;
    CLI::App *user_add = nullptr, *user_list = nullptr, *user_passwd = nullptr, *user_remove = nullptr;
    CLI::App *device_add = nullptr, *device_list = nullptr, *device_revoke = nullptr;
    CLI::App *token_add = nullptr, *token_list = nullptr, *token_revoke = nullptr;
    std::string name, role, household, label;
    bool password_stdin = false;

    // True when the command line named one of these commands (even if it
    // failed to parse).
    bool parsed() const;
};

// Registers the subcommands; `db_path` is the --db-path variable `serve` uses.
void add_admin_commands(CLI::App& cli, admin_commands& cmd, std::string& db_path);

// The exit code for a command line CLI11 refused: 2 (bad usage) for these
// commands, `code` otherwise.
int admin_usage_exit(const admin_commands& cmd, int code);

// Runs the parsed command; `in` is where a password is read from.
int run_admin_command(const admin_commands& cmd, const config::config& cfg, std::istream& in, std::ostream& out,
                      std::ostream& err);

// At `serve` start with AUTH=on: when no user exists, creates `admin` (role
// admin) with ADMIN_PASSWORD, or a random password printed once to `out`.
// Returns true if it created the user. Throws storage errors.
bool ensure_first_admin(domain::auth_store& store, const config::config& cfg, std::ostream& out);

}  // namespace solgrid::app
