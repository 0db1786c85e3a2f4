// Schema creation and migration, one ordered list of steps per dialect.
// Runs at start-up on the caller's thread; idempotent; throws on failure.
#pragma once

#include "storage/database.hpp"

namespace solgrid::storage {

// Brings the schema to the newest version; returns that version.
int migrate(soci::session& s, dialect d);

}  // namespace solgrid::storage
