// The arithmetic of the hourly roll-up (aggregate_old_data) and of the
// history buckets: summarising the readings of one time bucket (sample
// statistics and solar energy by trapezoid integration), combining hourly
// buckets into days, and the rules that say when an hour is final.
// Pure functions on values; any thread.
#pragma once

#include "domain/types.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <vector>

namespace solgrid::domain {

// One reading and the moment it was taken (what the roll-up integrates).
struct timed_reading {
    time_point at;
    reading value;
};

// The statistics of one bucket (an hour, or a day combined from hours).
// `start` is the bucket's first instant; `samples` > 0 (empty buckets have no row).
struct bucket_summary {
    time_point start;
    long long samples = 0;
    double soc_avg = 0;
    int soc_min = 0;
    int soc_max = 0;
    double solar_w_avg = 0;
    double solar_w_max = 0;
    double solar_wh = 0;  // energy in the bucket, Wh
    double lux_avg = 0;
    double lux_max = 0;

    bool operator==(const bucket_summary&) const = default;
};

struct aggregation_settings {
    // Two consecutive readings further apart than this are not joined by the
    // integration: no energy is assumed for a gap in the data.
    std::chrono::seconds max_gap{300};
    // Raw readings older than this are deleted once their hour is rolled up;
    // 0 keeps them forever.
    int raw_retention_days = 7;
};

inline constexpr std::chrono::hours one_hour{1};
inline constexpr std::chrono::hours one_day{24};

// The start of the UTC hour containing t.
time_point floor_hour(time_point t);
// The start of the day containing t, days starting at local midnight of a
// zone `utc_offset` ahead of UTC (whole hours, so a day is 24 whole UTC hours).
time_point floor_day(time_point t, std::chrono::hours utc_offset);

// Energy in Wh between `from` and `to`: the trapezoid rule over consecutive
// readings (sorted by time), each segment clipped to [from, to) with the power
// interpolated linearly at the cut; segments longer than max_gap count zero.
double trapezoid_wh(std::span<const timed_reading> sorted, time_point from, time_point to,
                    std::chrono::seconds max_gap);

// The summary of the bucket [start, start + length): statistics over the
// readings inside it, energy over `window` (which should reach max_gap beyond
// both ends so the segments crossing the edges count). nullopt when no reading
// falls inside the bucket.
std::optional<bucket_summary> summarize(std::span<const timed_reading> window, time_point start,
                                        std::chrono::seconds length, std::chrono::seconds max_gap);

// Several buckets as one starting at `start`: sums of samples and energy,
// sample-weighted averages, min of minima, max of maxima. `parts` non-empty.
bucket_summary combine(std::span<const bucket_summary> parts, time_point start);

// An hour is final once no reading still to come can change its summary:
// it ended at least max_gap ago (a later reading could still bridge into it).
bool is_final_hour(time_point hour_start, time_point now, std::chrono::seconds max_gap);
// The earliest hour that is not final at `now`.
time_point first_open_hour(time_point now, std::chrono::seconds max_gap);

}  // namespace solgrid::domain
