// Where solgrid's logs go and how they look: LOG_LEVEL, LOG_FORMAT=text|json
// (json: one object per line with time, level, message and the structured
// fields of common/log_fields.hpp), LOG_FILE (append; reopen_log_file() on
// SIGHUP after logrotate renamed it). Set up once on the main thread before
// any other thread logs; reopen_log_file() is safe from any thread.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace solgrid::app {

struct log_options {
    std::string level = "info";
    bool json = false;
    std::string file;  // empty: stderr
};

// Replaces the default logger's sink and format. Throws std::runtime_error
// naming LOG_FILE when the file cannot be opened for appending.
void setup_logging(const log_options& o);

// Level and the text pattern only, on the default logger's current sinks
// (the CLI subcommands, which log to stderr).
void setup_logging(const std::string& level);

// LOG_FILE again (after a rename): new lines go to a fresh file at the path.
// No-op without LOG_FILE. If the path cannot be opened, logging carries on
// in the old file and an error says why. Returns whether it reopened.
bool reopen_log_file();

// The LOG_FORMAT=json formatter: {"time":"2026-01-31T12:00:00.123Z",
// "level":"info","message":"...",<fields>}\n — always valid JSON.
std::unique_ptr<spdlog::formatter> make_json_formatter();

// `s` as the inside of a JSON string: quotes, backslashes and control
// characters escaped; valid UTF-8 kept; each byte of an invalid UTF-8
// sequence written as \u00XX (its Latin-1 reading), so output is valid JSON.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace solgrid::app
