// solgrid's command line: `solgrid serve` and friends.
#include "app/admin_cli.hpp"
#include "app/aggregation_scheduler.hpp"
#include "app/ledger_cli.hpp"
#include "app/logging.hpp"
#include "app/server_app.hpp"
#include "config/config.hpp"
#include "simulator/simulate_cli.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

using namespace solgrid;

int main(int argc, char** argv) {
    CLI::App cli{"solgrid — real-time backend, dashboard and market for a solar + battery microgrid"};
    cli.require_subcommand(1);
    std::string env_file = ".env";
    cli.add_option("--env-file", env_file, "dotenv file read before the environment")->capture_default_str();

    config::variables overrides;
    auto* serve = cli.add_subcommand("serve", "run the HTTP + Socket.IO server (REST API, realtime, dashboard)");
    std::string host, db_path, log_level, cors;
    int port = -1;
    serve->add_option("--host", host, "address to listen on (HOST, default 0.0.0.0)");
    serve->add_option("--port", port, "port to listen on (PORT, default 5000; 0 picks a free one)");
    serve->add_option("--db-path", db_path, "SQLite file (DB_PATH, default data/solgrid.db)");
    serve->add_option("--cors-origins", cors, "allowed origins, * or a comma list (CORS_ORIGINS)");
    serve->add_option("--log-level", log_level, "trace|debug|info|warn|error (LOG_LEVEL)");

    auto* aggregate = cli.add_subcommand(
        "aggregate", "run aggregate_old_data once: roll final hours up into sun_data_hourly, apply RAW_RETENTION_DAYS");
    aggregate->add_option("--db-path", db_path, "SQLite file (DB_PATH); MySQL instead when DB_HOST is set");

    simulator::simulate_command simulate;  // `solgrid simulate`: the virtual Arduino
    simulator::add_simulate_command(cli, simulate);

    app::admin_commands admin;  // `solgrid user|device|token`: accounts and tokens
    app::add_admin_commands(cli, admin, db_path);

    app::ledger_commands ledger;  // `solgrid ledger verify|adjust`: the market ledger
    app::add_ledger_commands(cli, ledger, db_path);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (ledger.parsed() && e.get_exit_code() != 0) return (void)cli.exit(e), 2;
        return app::admin_usage_exit(admin, cli.exit(e));
    }

    auto flag = [&](const char* name, const std::string& v) {
        if (!v.empty()) overrides[name] = v;
    };
    flag("HOST", host);
    if (port >= 0) overrides["PORT"] = std::to_string(port);
    flag("DB_PATH", db_path);
    flag("CORS_ORIGINS", cors);
    flag("LOG_LEVEL", log_level);

    config::config cfg;
    try {
        cfg = config::load(env_file, overrides);
    } catch (const config::config_error& e) {
        std::cerr << "solgrid: configuration error: " << e.what() << "\n";
        return 2;
    }
    try {
        app::setup_logging({cfg.log_level, cfg.log_json, cfg.log_file});
    } catch (const std::exception& e) {
        std::cerr << "solgrid: configuration error: " << e.what() << "\n";
        return 2;
    }

    try {
        if (serve->parsed()) return app::run_server(cfg);
        if (aggregate->parsed()) return app::run_aggregate_once(cfg);
        if (simulate.app->parsed()) return simulator::run_simulate_command(simulate, cfg);
        if (admin.parsed()) return app::run_admin_command(admin, cfg, std::cin, std::cout, std::cerr);
        if (ledger.parsed()) return app::run_ledger_command(ledger, cfg, std::cout, std::cerr);
    } catch (const std::exception& e) {
        spdlog::critical("solgrid could not start: {}", e.what());
        return 1;
    }
    return 0;
}
