// History of the sensor readings: the store port it needs, the hourly roll-up
// (aggregate_old_data: every final hour of raw readings becomes one row of
// sun_data_hourly, then raw readings past their retention are deleted), and
// the queries behind GET /api/data/history and /api/energy/summary.
//
// Which rows a query returns:
//   raw  — stored readings with from <= timestamp <= to, oldest first;
//   hour — every UTC hour overlapping [from, to] that holds readings. Final
//          hours come from sun_data_hourly; the hours the roll-up cannot have
//          finished yet (the current hour, the previous ones until margin()
//          past their end, plus one hour of slack for a late run) are computed on
//          the fly from raw readings with the same arithmetic, so a chart
//          reaches "now";
//   day  — those hours combined per day; days start at midnight of
//          UTC + utc_offset (UTC by default).
//
// history_service may be called from any thread; it holds no mutable state.
// Store failures surface as storage_unavailable; a query whose answer would
// exceed max_rows throws too_many_rows before anything large is built.
#pragma once

#include "domain/aggregation.hpp"
#include "domain/ports.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace solgrid::domain {

enum class resolution { raw, hour, day };
std::optional<resolution> parse_resolution(std::string_view s);
std::string_view to_string(resolution r);

// Raw readings and their hourly roll-ups. Implementations run the database
// work off the network threads and resume the caller on its own executor.
class history_store {
public:
    virtual ~history_store() = default;
    // Readings with from <= at <= to, oldest first, at most `limit` of them.
    virtual asio::awaitable<std::vector<stored_reading>> raw(time_point from, time_point to, std::size_t limit) = 0;
    // Rolled-up hours with from <= start <= to, oldest first.
    virtual asio::awaitable<std::vector<bucket_summary>> hourly(time_point from, time_point to,
                                                                std::size_t limit) = 0;
    // The start of every hour before `before` that holds raw readings but has
    // no roll-up row yet, oldest first.
    virtual asio::awaitable<std::vector<time_point>> unrolled_hours(time_point before) = 0;
    // In one transaction: summarises the hour starting at `start` from the raw
    // readings (with rule.margin() on both sides, see summarize()) and
    // inserts the row unless that hour already has one (another instance may
    // race us; the hour is the key). True when this call inserted it.
    virtual asio::awaitable<bool> roll_up_hour(time_point start, gap_rule rule, time_point now) = 0;
    // Deletes raw readings taken before `cutoff`; returns how many.
    virtual asio::awaitable<std::size_t> delete_raw_before(time_point cutoff) = 0;
};

// A query would return more than max_rows rows.
class too_many_rows : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct history_settings {
    aggregation_settings aggregation;
    std::size_t max_rows = 50000;          // per history response
    std::chrono::hours utc_offset{0};      // where days start (day buckets, "today")
};

struct history_query {
    resolution res = resolution::raw;
    time_point from;
    time_point to;
};

struct history_page {
    history_query query;
    std::vector<stored_reading> raw;      // resolution raw
    std::vector<bucket_summary> buckets;  // resolution hour / day
};

struct aggregation_report {
    int rolled_up = 0;       // hours this run inserted
    int already_done = 0;    // hours another run (or instance) inserted first
    int waiting = 0;         // hours with readings that are not final yet
    std::size_t raw_deleted = 0;
};

class history_service {
public:
    history_service(history_store& store, history_settings settings) : store_(store), settings_(settings) {}

    const history_settings& settings() const { return settings_; }

    // Throws too_many_rows, storage_unavailable. `now` bounds the on-the-fly hours.
    asio::awaitable<history_page> query(history_query q, time_point now);

    // Statistics of the day containing `now` so far (nullopt: no reading yet).
    asio::awaitable<std::optional<bucket_summary>> day_so_far(time_point now);

    // aggregate_old_data: rolls every final hour up (one transaction each,
    // oldest first), then deletes raw readings older than the retention that
    // no open hour still needs. Idempotent. Throws storage_unavailable; what
    // was committed before the failure stays committed.
    asio::awaitable<aggregation_report> aggregate(time_point now);

private:
    // Hour buckets with first <= start <= last (hour starts), rolled-up or on the fly.
    asio::awaitable<std::vector<bucket_summary>> hours(time_point first, time_point last, time_point now);

    history_store& store_;
    history_settings settings_;
};

}  // namespace solgrid::domain
