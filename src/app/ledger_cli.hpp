// `solgrid ledger verify|adjust`: the market ledger from the command line, on
// the same config and database as `serve` (--db-path, or MySQL when DB_HOST
// is set). Main thread only.
//   verify: walks every entry (paged), checks the hash chain, each entry's
//     balance and every account's stored balance against its postings. Exit 0
//     with "ledger ok: N entries, M accounts, chain head <hash prefix>", or
//     1 with "ledger verify failed: <first problem>" (then every problem).
//   adjust ACCOUNT --energy-wh N --money N --reason TEXT: an admin's
//     adjustment, posted against the `adjustment` system account; audited
//     (actor "cli", action ledger.adjust).
// Exit codes: 0 done, 1 failed (broken ledger, database error), 2 bad usage.
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace solgrid::app {

struct ledger_commands {
    CLI::App* ledger = nullptr;
    CLI::App *verify = nullptr, *adjust = nullptr;
    std::string account, reason;
    std::int64_t energy_wh = 0, money = 0;

    bool parsed() const;
};

void add_ledger_commands(CLI::App& cli, ledger_commands& cmd, std::string& db_path);

int run_ledger_command(const ledger_commands& cmd, const config::config& cfg, std::ostream& out, std::ostream& err);

}  // namespace solgrid::app
