// `solgrid serve`: builds every part from the config, runs the io_context on
// its threads, and shuts down gracefully on SIGINT/SIGTERM (stop accepting,
// finish what is in flight, close the database); SIGHUP reopens LOG_FILE.
// Owned by main().
#pragma once

#include "config/config.hpp"
#include "storage/database.hpp"

namespace solgrid::app {

// Runs until a signal arrives; returns the process exit code. Throws on a
// start-up failure (bad database, port in use).
int run_server(const config::config& cfg);

// Raises the open-file limit to the hard maximum (many connections).
void raise_fd_limit();

// The database the config asks for (SQLite file, or MySQL when DB_HOST is set).
storage::database_options database_options_from(const config::config& cfg);

}  // namespace solgrid::app
