#include "app/ledger_cli.hpp"

#include "app/cli_support.hpp"
#include "app/server_app.hpp"
#include "domain/market/ledger.hpp"
#include "storage/database.hpp"
#include "storage/sql_auth_store.hpp"
#include "storage/sql_ledger_store.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <ostream>

namespace solgrid::app {

namespace asio = boost::asio;
namespace market = domain::market;

namespace {

constexpr std::size_t page = 1000;
constexpr std::size_t max_listed = 20;  // problems printed after the first line

using cli::await;
using cli::usage_error;

int verify(market::ledger_store& store, std::ostream& out) {
    market::verifier v;
    std::int64_t after = 0;
    for (;;) {
        auto rows = await(store.entries_after(after, page));
        for (const auto& e : rows) v.add(e);
        if (rows.size() < page) break;
        after = rows.back().id;
    }
    auto r = v.finish(await(store.current_balances()));
    if (r.ok()) {
        out << "ledger ok: " << r.entries << " entries, " << r.accounts << " accounts, chain head "
            << r.head.substr(0, 16) << "\n";
        return 0;
    }
    out << "ledger verify failed: " << r.problems.front().message << "\n";
    for (std::size_t i = 1; i < r.problems.size() && i <= max_listed; ++i) out << "  " << r.problems[i].message << "\n";
    if (r.problems.size() > max_listed + 1) out << "  (" << r.problems.size() - max_listed - 1 << " more)\n";
    out << r.problems.size() << " problem(s) in " << r.entries << " entries\n";
    return 1;
}

int adjust(const ledger_commands& c, market::ledger_store& store, domain::auth_store& audit, std::ostream& out) {
    if (!market::is_holder_account(c.account))
        throw usage_error("invalid account '" + c.account + "': A, B, C, D or pool");
    if (c.energy_wh == 0 && c.money == 0) throw usage_error("nothing to adjust: give --energy-wh or --money (not 0)");
    if (c.reason.empty() || c.reason.size() > 256) throw usage_error("--reason must be 1-256 bytes");
    if (c.energy_wh == INT64_MIN || c.money == INT64_MIN) throw usage_error("amount out of range");
    market::ledger_draft d;
    d.kind = market::entry_kind::adjustment;
    d.at = domain::clock::now();
    d.reference = c.reason;
    d.postings = {{c.account, c.energy_wh, c.money}, {"adjustment", -c.energy_wh, -c.money}};
    auto e = await(store.append(std::move(d)));
    const std::string detail = "energy_wh " + std::to_string(c.energy_wh) + " money " + std::to_string(c.money) +
                               " entry " + std::to_string(e.id) + ": " + c.reason;
    domain::audit_entry a;
    a.at = domain::clock::now();
    a.actor = "cli";
    a.action = "ledger.adjust";
    a.target = c.account;
    a.outcome = "ok";
    a.detail = detail;
    await(audit.append_audit(std::move(a)));
    out << "entry " << e.id << " appended (" << detail << "), hash " << e.hash.substr(0, 16) << "\n";
    return 0;
}

}  // namespace

bool ledger_commands::parsed() const { return ledger && ledger->parsed(); }

void add_ledger_commands(CLI::App& cli, ledger_commands& c, std::string& db_path) {
    c.ledger = cli.add_subcommand("ledger", "the market ledger: verify, adjust");
    c.ledger->require_subcommand(1);
    c.verify = c.ledger->add_subcommand("verify", "check the hash chain and every account's balance against its entries");
    c.adjust = c.ledger->add_subcommand("adjust", "append an admin adjustment (against the adjustment account)");
    for (auto* s : {c.verify, c.adjust})
        s->add_option("--db-path", db_path, "SQLite file (DB_PATH); MySQL instead when DB_HOST is set");
    c.adjust->add_option("account", c.account, "A, B, C, D or pool")->required();
    c.adjust->add_option("--energy-wh", c.energy_wh, "Wh to credit (negative debits)");
    c.adjust->add_option("--money", c.money, "minor units of MARKET_CURRENCY to credit (negative debits)");
    c.adjust->add_option("--reason", c.reason, "why (stored as the entry's reference)")->required();
}

int run_ledger_command(const ledger_commands& c, const config::config& cfg, std::ostream& out, std::ostream& err) {
    cli::log_to_stderr(cfg.log_level);
    try {
        storage::database db(database_options_from(cfg));
        storage::sql_ledger_store store(db);
        storage::sql_auth_store audit(db);
        int rc = 0;
        try {
            if (c.verify->parsed()) rc = verify(store, out);
            else if (c.adjust->parsed()) rc = adjust(c, store, audit, out);
            else throw usage_error("missing command (--help lists them)");
        } catch (...) {
            db.close();
            throw;
        }
        db.close();
        return rc;
    } catch (const usage_error& e) {
        err << "solgrid: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "solgrid: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace solgrid::app
