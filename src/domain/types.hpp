// Plain value types of the microgrid: a sensor reading and the four relays.
// Values only; safe to copy between threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace solgrid::domain {

using clock = std::chrono::system_clock;
using time_point = clock::time_point;

// One reading as the Arduino posts it.
struct reading {
    int soc = 0;           // state of charge, percent 0..100
    double solar_w = 0.0;  // solar power, W >= 0
    double lux = 0.0;      // illuminance, lx >= 0
};

// A reading once it is committed to storage.
struct stored_reading {
    std::int64_t id = 0;
    reading value;
    time_point at;
};

// Households A..D, each fed through one relay.
inline constexpr std::array<char, 4> household_names = {'A', 'B', 'C', 'D'};

struct relay_state {
    std::array<bool, 4> on{};  // index 0 = A

    bool operator==(const relay_state&) const = default;
};

// A partial update: only the households named are changed.
struct relay_patch {
    std::array<std::optional<bool>, 4> on{};

    bool empty() const {
        for (const auto& v : on)
            if (v) return false;
        return true;
    }
    relay_state applied_to(relay_state s) const {
        for (std::size_t i = 0; i < on.size(); ++i)
            if (on[i]) s.on[i] = *on[i];
        return s;
    }
};

// A rule of the domain that an input broke: which field, and why.
struct rule_violation {
    std::string field;
    std::string message;
};

// What a plausible reading stays within (SOLAR_W_MAX, LUX_MAX): a sensor
// that reports 1e308 W is broken, and one such row would poison every sum.
struct reading_limits {
    double solar_w_max = 1000000.0;
    double lux_max = 200000.0;
};

// Range rules for a reading (types are checked where it is parsed).
std::optional<rule_violation> check(const reading& r, const reading_limits& limits = {});

// ISO-8601 in UTC with milliseconds and a zone: 2026-11-26T14:25:28.123Z
std::string to_iso8601(time_point t);

// The instants parse_iso8601 accepts: earliest_time <= t < end_of_time, whole
// years well inside what time_point holds (nanoseconds in an int64 on Linux:
// 1677-09-21 … 2262-04-11), with months to spare so that flooring to a day
// or adding a day and a bridging margin to any accepted instant never overflows.
inline constexpr time_point earliest_time{
    std::chrono::duration_cast<clock::duration>(std::chrono::sys_days{std::chrono::year{1678} / 1 / 1}.time_since_epoch())};
inline constexpr time_point end_of_time{
    std::chrono::duration_cast<clock::duration>(std::chrono::sys_days{std::chrono::year{2262} / 1 / 1}.time_since_epoch())};
// "1678-01-01T00:00:00Z and 2261-12-31T23:59:59.999Z", for messages.
std::string accepted_time_range();
// Zone offsets accepted: -14:00 … +14:00 (what exists on Earth), minutes < 60.
inline constexpr int max_zone_offset_minutes = 14 * 60;

enum class time_parse_error {
    none,
    malformed,     // not ISO-8601, or no such date/time
    zone_offset,   // an offset beyond ±14:00 or with minutes >= 60
    out_of_range,  // a real instant outside [earliest_time, end_of_time)
};

struct parsed_time {
    std::optional<time_point> at;  // set exactly when error == none
    time_parse_error error = time_parse_error::none;
};

// Parses ISO-8601 with a zone (Z or ±hh:mm / ±hhmm) or a bare date/time
// taken as UTC. Computes in 64-bit microseconds, so no input can overflow.
parsed_time parse_iso8601_checked(std::string_view s);
// The same, nullopt for every kind of error.
std::optional<time_point> parse_iso8601(std::string_view s);

}  // namespace solgrid::domain
