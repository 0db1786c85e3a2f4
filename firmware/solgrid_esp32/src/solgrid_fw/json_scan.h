// A tiny JSON reader for the firmware: finds the value at a dotted key path
// ("data.relays.A") in a JSON text without copying or allocating, and reads
// booleans and numbers. Enough for the backend's replies and commands; it
// validates what it walks over and fails (returns false) on malformed text,
// never reads past `len`, and limits nesting. Portable C++17, no Arduino
// headers; pure functions, safe anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace solgrid_fw {

// A JSON value's text inside a larger buffer.
struct json_span {
    const char* p = nullptr;
    std::size_t n = 0;
};

// The value at `path` (object keys separated by '.'; keys with escapes are
// not matched). False if absent, or if the text is not valid JSON up to it.
bool json_find(const char* json, std::size_t len, const char* path, json_span& out);

// True if `text` is one complete, valid JSON value (with surrounding spaces).
bool json_valid(const char* json, std::size_t len);

bool json_bool(json_span v, bool& out);
// An integer without fraction or exponent, within int64.
bool json_int64(json_span v, std::int64_t& out);
bool json_is_object(json_span v);

}  // namespace solgrid_fw
