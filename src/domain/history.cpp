#include "domain/history.hpp"

#include <algorithm>
#include <set>

namespace solgrid::domain {

namespace {

// Raw rows fetched to compute the open hours on the fly (about three hours
// plus twice the bridging margin of readings); far above any sane sensor rate, a bound on memory all the same.
constexpr std::size_t open_hours_raw_limit = 1'000'000;

// `count` is exact for buckets; for raw rows it only says "more than max".
std::string too_many(std::string count, std::size_t max, std::string_view what) {
    return "the query would return " + count + " " + std::string(what) + " (limit " + std::to_string(max) +
           "); narrow from/to or use a coarser resolution (hour, day)";
}

}  // namespace

std::optional<resolution> parse_resolution(std::string_view s) {
    if (s == "raw") return resolution::raw;
    if (s == "hour") return resolution::hour;
    if (s == "day") return resolution::day;
    return std::nullopt;
}

std::string_view to_string(resolution r) {
    switch (r) {
    case resolution::raw: return "raw";
    case resolution::hour: return "hour";
    case resolution::day: return "day";
    }
    return "raw";
}

asio::awaitable<std::vector<bucket_summary>> history_service::hours(time_point first, time_point last,
                                                                   time_point now) {
    const gap_rule& rule = settings_.aggregation;
    const auto margin = rule.margin();
    const auto count = static_cast<std::size_t>((last - first) / one_hour) + 1;
    auto out = co_await store_.hourly(first, last, count);

    auto live_from = std::max(first, first_open_hour(now, margin) - one_hour);
    const auto live_to = std::min(last, floor_hour(now));
    std::set<time_point> rolled;
    for (const auto& b : out) rolled.insert(b.start);
    // The slack hour is usually rolled up already: fetch nothing for it.
    while (live_from <= live_to && rolled.count(live_from)) live_from += one_hour;
    if (live_from > live_to) co_return out;

    auto raw = co_await store_.raw(live_from - margin, live_to + one_hour + margin, open_hours_raw_limit);
    std::vector<timed_reading> window;
    window.reserve(raw.size());
    for (const auto& r : raw) window.push_back({r.at, r.value});
    for (auto h = live_from; h <= live_to; h += one_hour) {
        if (rolled.count(h)) continue;
        if (auto s = summarize(window, h, one_hour, rule)) out.push_back(*s);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    co_return out;
}

asio::awaitable<history_page> history_service::query(history_query q, time_point now) {
    history_page page;
    page.query = q;
    const auto max = settings_.max_rows;
    switch (q.res) {
    case resolution::raw: {
        page.raw = co_await store_.raw(q.from, q.to, max + 1);
        if (page.raw.size() > max) throw too_many_rows(too_many("more than " + std::to_string(max), max, "raw rows"));
        break;
    }
    case resolution::hour: {
        auto first = floor_hour(q.from), last = floor_hour(q.to);
        auto n = static_cast<std::size_t>((last - first) / one_hour) + 1;
        if (n > max) throw too_many_rows(too_many(std::to_string(n), max, "hour rows"));
        page.buckets = co_await hours(first, last, now);
        break;
    }
    case resolution::day: {
        const auto off = settings_.utc_offset;
        auto first = floor_day(q.from, off), last = floor_day(q.to, off);
        auto n = static_cast<std::size_t>((last - first) / one_day) + 1;
        if (n > max) throw too_many_rows(too_many(std::to_string(n), max, "day rows"));
        auto hourly = co_await hours(first, last + one_day - one_hour, now);
        std::size_t i = 0;
        while (i < hourly.size()) {
            auto day = floor_day(hourly[i].start, off);
            std::size_t j = i;
            while (j < hourly.size() && floor_day(hourly[j].start, off) == day) ++j;
            page.buckets.push_back(combine(std::span(hourly).subspan(i, j - i), day));
            i = j;
        }
        break;
    }
    }
    co_return page;
}

asio::awaitable<std::optional<bucket_summary>> history_service::day_so_far(time_point now) {
    auto day = floor_day(now, settings_.utc_offset);
    auto hourly = co_await hours(day, floor_hour(now), now);
    if (hourly.empty()) co_return std::nullopt;
    co_return combine(hourly, day);
}

asio::awaitable<aggregation_report> history_service::aggregate(time_point now) {
    const auto& a = settings_.aggregation;
    aggregation_report report;
    auto pending = co_await store_.unrolled_hours(floor_hour(now) + one_hour);
    std::optional<time_point> first_waiting;
    for (auto h : pending) {
        if (!is_final_hour(h, now, a.margin())) {
            ++report.waiting;
            if (!first_waiting) first_waiting = h;
            continue;
        }
        bool inserted = co_await store_.roll_up_hour(h, a, now);
        ++(inserted ? report.rolled_up : report.already_done);
    }
    if (a.raw_retention_days > 0) {
        auto cutoff = now - std::chrono::days(a.raw_retention_days);
        // Keep what an open hour still needs: its own readings and those up
        // to margin() before it, which may bridge into it or set the
        // device's typical interval.
        if (first_waiting) cutoff = std::min(cutoff, *first_waiting - a.margin());
        report.raw_deleted = co_await store_.delete_raw_before(cutoff);
    }
    co_return report;
}

}  // namespace solgrid::domain
