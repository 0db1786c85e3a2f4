// The arithmetic of the hourly roll-up (aggregate_old_data) and of the
// history buckets: summarising the readings of one time bucket (sample
// statistics, solar energy by trapezoid integration across the gaps the
// gap_rule bridges, and how much of the bucket those cover), combining
// hourly buckets into days, and the rules that say when an hour is final.
// Pure functions on values; any thread.
#pragma once

#include "domain/types.hpp"

#include <algorithm>
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
    // Seconds of the bucket covered by bridged segments (where solar_wh
    // knows the power); nullopt for hours rolled up before it was recorded.
    std::optional<double> coverage_s = 0.0;

    bool operator==(const bucket_summary&) const = default;
};

// Which gap between two consecutive readings the integration bridges (joins
// by a straight line) and which it leaves as a hole carrying no energy:
//   gap <= max_gap                        always bridged;
//   gap >  bridge_max                     never bridged (the device was off);
//   in between: bridged when gap <= interval_factor x the device's typical
//   interval, the median spacing of the readings within margin() of the
//   bucket — so a device reporting every 10 minutes that misses one or two
//   reports is still joined, but one that reports every 2 s and goes quiet
//   for 30 minutes is not.
// The rule only looks at readings within margin() of the bucket, so the same
// readings always give the same answer, whoever computes it and whenever.
struct gap_rule {
    std::chrono::seconds max_gap{300};      // AGGREGATE_MAX_GAP_S
    std::chrono::seconds bridge_max{7200};  // AGGREGATE_BRIDGE_MAX_S (emoncms: 2 h)
    int interval_factor = 3;

    // How far beyond a bucket a reading can still change it.
    std::chrono::seconds margin() const { return std::max(max_gap, bridge_max); }
    // The longest gap bridged for a device whose typical interval is `typical`.
    clock::duration limit(clock::duration typical) const;
};

struct aggregation_settings : gap_rule {
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

// The median of the positive spacings between consecutive readings (sorted by
// time) with from <= at <= to; the lower middle one for an even count; zero
// when there are fewer than two such readings.
clock::duration typical_interval(std::span<const timed_reading> sorted, time_point from, time_point to);

struct integral {
    double wh = 0;          // energy, Wh
    double covered_s = 0;   // seconds of [from, to) inside bridged segments
};

// The trapezoid rule over consecutive readings (sorted by time) between `from`
// and `to`, each segment clipped to [from, to) with the power interpolated
// linearly at the cut; segments longer than `limit` count zero.
integral integrate(std::span<const timed_reading> sorted, time_point from, time_point to, clock::duration limit);
// integrate(...).wh
double trapezoid_wh(std::span<const timed_reading> sorted, time_point from, time_point to, clock::duration limit);

// The summary of the bucket [start, start + length): statistics over the
// readings inside it; energy and coverage by `rule`, from the readings of
// `window` (sorted, consecutive as stored) within rule.margin() of the bucket
// — the window should reach at least that far beyond both ends. nullopt when
// no reading falls inside the bucket.
std::optional<bucket_summary> summarize(std::span<const timed_reading> window, time_point start,
                                        std::chrono::seconds length, const gap_rule& rule);

// Several buckets as one starting at `start`: sums of samples, energy and
// coverage (unknown if any part's is), sample-weighted averages, min of
// minima, max of maxima. `parts` non-empty.
bucket_summary combine(std::span<const bucket_summary> parts, time_point start);

// An hour is final once no reading still to come can change its summary:
// it ended at least `margin` (gap_rule::margin()) ago — before that a later
// reading could still bridge into it or change the device's typical interval.
bool is_final_hour(time_point hour_start, time_point now, std::chrono::seconds margin);
// The earliest hour that is not final at `now`.
time_point first_open_hour(time_point now, std::chrono::seconds margin);

}  // namespace solgrid::domain
