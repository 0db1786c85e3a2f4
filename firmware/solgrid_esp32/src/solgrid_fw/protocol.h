// What the firmware says to and reads from the solgrid backend, as the
// server defines it (src/domain/device_protocol.hpp):
//   POST {server}/api/data/solar  {"soc":85,"solar_w":120.5,"lux":35000,
//                                  "relays":{"A":true,…},"relay_version":N
//                                  [,"meter_wh":{"A":1234.567,…}]}
//     reply: {"success":true,…,"data":{…,"relays":{"A":…},"relay_version":N}}
//   POST /relay (from the server) {"A":true,"B":false,…,"version":N}
//   GET /status                   the device's own report
// Versions only grow; a command older than the one applied is ignored, so
// a late reply never undoes a newer command. Portable C++17, no Arduino
// headers, no allocation: JSON is written into caller buffers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace solgrid_fw {

constexpr int household_count = 4;  // A, B, C, D

struct relay_set {
    bool on[household_count] = {false, false, false, false};
};

struct relay_command {
    relay_set state;          // the full state to apply (partial commands merged)
    bool has_version = false;
    std::int64_t version = 0;
};

struct reading {
    int soc = 0;           // 0..100
    float solar_w = 0.0f;  // >= 0
    float lux = 0.0f;      // >= 0
};

struct device_report {
    const char* device = "solgrid-esp32";
    const char* firmware = "1.0.0";
    std::uint32_t uptime_s = 0;
    reading last;
    float battery_v = 0.0f;
    relay_set relays;
    std::int64_t relay_version = 0;
    int wifi_rssi = 0;
    bool watchdog_tripped = false;
    std::uint32_t backend_silent_s = 0;  // since the backend was last heard from
    std::uint32_t posts_ok = 0;
    std::uint32_t posts_failed = 0;
};

// The sensor-post body. Returns its length, or -1 if `cap` is too small
// (the buffer then holds no usable JSON). With `meter_wh` (household_count
// cumulative Wh counters, SOLGRID_METERS) the body carries them as
// "meter_wh" with 3 decimals; a negative or non-finite counter is left out.
int build_reading_json(char* buf, std::size_t cap, const reading& r, const relay_set& relays,
                       std::int64_t relay_version, const double* meter_wh = nullptr);

// Longest device token the server accepts (src/http/credentials.hpp).
constexpr std::size_t max_device_token = 512;

// The Authorization header value for the device token, "Bearer <token>",
// written into `buf` (NUL-terminated). Returns its length; 0 when `token` is
// null or empty (send no header: the server trusts the board's network);
// -1 when `cap` is too small or the token is not one the server accepts
// (token68: [A-Za-z0-9-._~+/]+ then any '=', at most max_device_token).
int build_authorization(char* buf, std::size_t cap, const char* token);

// The GET /status body; same contract.
int build_status_json(char* buf, std::size_t cap, const device_report& d);

// The reply to POST /relay; same contract.
int build_relay_reply_json(char* buf, std::size_t cap, bool applied, const relay_set& relays,
                           std::int64_t relay_version);

enum class command_error { none, bad_json, not_an_object, bad_value, unknown_key, nothing_named, bad_version };

// Reads a POST /relay body: any of A–D (booleans) merged into `current`, and
// an optional integer `version`. On failure `problem` is a short sentence.
command_error parse_relay_command(const char* body, std::size_t len, const relay_set& current,
                                  relay_command& out, const char** problem);

// Reads the desired state from a sensor-post reply (data.relays with all of
// A–D, data.relay_version optional). False if the reply carries none.
bool parse_desired_from_reply(const char* body, std::size_t len, relay_command& out);

// Whether to apply `cmd` given the version applied last.
inline bool should_apply(const relay_command& cmd, std::int64_t applied_version) {
    return !cmd.has_version || cmd.version >= applied_version;
}

}  // namespace solgrid_fw
