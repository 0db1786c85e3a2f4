#include "domain/aggregation.hpp"

#include <algorithm>
#include <cassert>

namespace solgrid::domain {

namespace {

using seconds_f = std::chrono::duration<double>;

// Floor division for time points before the epoch too.
time_point floor_to(time_point t, clock::duration unit, clock::duration shift) {
    auto d = t.time_since_epoch() + shift;
    auto q = d / unit;
    if (d % unit < clock::duration::zero()) --q;
    return time_point{q * unit - shift};
}

double power_at(const timed_reading& a, const timed_reading& b, time_point t) {
    double span = seconds_f(b.at - a.at).count();
    double x = seconds_f(t - a.at).count() / span;
    return a.value.solar_w + (b.value.solar_w - a.value.solar_w) * x;
}

}  // namespace

time_point floor_hour(time_point t) { return floor_to(t, one_hour, clock::duration::zero()); }

time_point floor_day(time_point t, std::chrono::hours utc_offset) {
    return floor_to(t, one_day, std::chrono::duration_cast<clock::duration>(utc_offset));
}

double trapezoid_wh(std::span<const timed_reading> sorted, time_point from, time_point to,
                    std::chrono::seconds max_gap) {
    double watt_seconds = 0;
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        const auto& a = sorted[i - 1];
        const auto& b = sorted[i];
        if (b.at <= a.at || b.at - a.at > max_gap) continue;
        auto lo = std::max(a.at, from);
        auto hi = std::min(b.at, to);
        if (hi <= lo) continue;
        double w_lo = lo == a.at ? a.value.solar_w : power_at(a, b, lo);
        double w_hi = hi == b.at ? b.value.solar_w : power_at(a, b, hi);
        watt_seconds += (w_lo + w_hi) / 2 * seconds_f(hi - lo).count();
    }
    return watt_seconds / 3600.0;
}

std::optional<bucket_summary> summarize(std::span<const timed_reading> window, time_point start,
                                        std::chrono::seconds length, std::chrono::seconds max_gap) {
    const auto end = start + length;
    bucket_summary s;
    s.start = start;
    double soc_sum = 0, w_sum = 0, lux_sum = 0;
    for (const auto& r : window) {
        if (r.at < start || r.at >= end) continue;
        if (s.samples == 0) {
            s.soc_min = s.soc_max = r.value.soc;
            s.solar_w_max = r.value.solar_w;
            s.lux_max = r.value.lux;
        }
        ++s.samples;
        soc_sum += r.value.soc;
        w_sum += r.value.solar_w;
        lux_sum += r.value.lux;
        s.soc_min = std::min(s.soc_min, r.value.soc);
        s.soc_max = std::max(s.soc_max, r.value.soc);
        s.solar_w_max = std::max(s.solar_w_max, r.value.solar_w);
        s.lux_max = std::max(s.lux_max, r.value.lux);
    }
    if (s.samples == 0) return std::nullopt;
    auto n = static_cast<double>(s.samples);
    s.soc_avg = soc_sum / n;
    s.solar_w_avg = w_sum / n;
    s.lux_avg = lux_sum / n;
    s.solar_wh = trapezoid_wh(window, start, end, max_gap);
    return s;
}

bucket_summary combine(std::span<const bucket_summary> parts, time_point start) {
    assert(!parts.empty());
    bucket_summary s;
    s.start = start;
    double soc_sum = 0, w_sum = 0, lux_sum = 0;
    bool first = true;
    for (const auto& p : parts) {
        if (first) {
            s.soc_min = p.soc_min;
            s.soc_max = p.soc_max;
            s.solar_w_max = p.solar_w_max;
            s.lux_max = p.lux_max;
            first = false;
        }
        s.samples += p.samples;
        auto n = static_cast<double>(p.samples);
        soc_sum += p.soc_avg * n;
        w_sum += p.solar_w_avg * n;
        lux_sum += p.lux_avg * n;
        s.solar_wh += p.solar_wh;
        s.soc_min = std::min(s.soc_min, p.soc_min);
        s.soc_max = std::max(s.soc_max, p.soc_max);
        s.solar_w_max = std::max(s.solar_w_max, p.solar_w_max);
        s.lux_max = std::max(s.lux_max, p.lux_max);
    }
    if (s.samples > 0) {
        auto n = static_cast<double>(s.samples);
        s.soc_avg = soc_sum / n;
        s.solar_w_avg = w_sum / n;
        s.lux_avg = lux_sum / n;
    }
    return s;
}

bool is_final_hour(time_point hour_start, time_point now, std::chrono::seconds max_gap) {
    return hour_start + one_hour + max_gap <= now;
}

time_point first_open_hour(time_point now, std::chrono::seconds max_gap) {
    // The hour after the newest final one.
    return floor_hour(now - one_hour - max_gap) + one_hour;
}

}  // namespace solgrid::domain
