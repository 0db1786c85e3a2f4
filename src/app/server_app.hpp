// `solgrid serve`: builds every part from the config, runs the io_context on
// its threads, and shuts down gracefully on SIGINT/SIGTERM (stop accepting,
// finish what is in flight, close the database). Owned by main().
#pragma once

#include "config/config.hpp"

namespace solgrid::app {

// Runs until a signal arrives; returns the process exit code. Throws on a
// start-up failure (bad database, port in use).
int run_server(const config::config& cfg);

// Raises the open-file limit to the hard maximum (many connections).
void raise_fd_limit();

// Sets spdlog's level and pattern from the config.
void setup_logging(const std::string& level);

}  // namespace solgrid::app
