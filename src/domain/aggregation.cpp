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

clock::duration gap_rule::limit(clock::duration typical) const {
    const clock::duration lo = max_gap, hi = margin();
    // Saturate rather than overflow for an absurd typical interval.
    const auto adaptive = typical > hi / std::max(interval_factor, 1) ? hi : typical * interval_factor;
    return std::clamp(adaptive, lo, hi);
}

clock::duration typical_interval(std::span<const timed_reading> sorted, time_point from, time_point to) {
    std::vector<clock::duration> spacings;
    const timed_reading* prev = nullptr;
    for (const auto& r : sorted) {
        if (r.at < from || r.at > to) continue;
        if (prev && r.at > prev->at) spacings.push_back(r.at - prev->at);
        prev = &r;
    }
    if (spacings.empty()) return clock::duration::zero();
    auto mid = spacings.begin() + static_cast<std::ptrdiff_t>((spacings.size() - 1) / 2);
    std::nth_element(spacings.begin(), mid, spacings.end());
    return *mid;
}

integral integrate(std::span<const timed_reading> sorted, time_point from, time_point to, clock::duration limit) {
    double watt_seconds = 0;
    clock::duration covered{0};
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        const auto& a = sorted[i - 1];
        const auto& b = sorted[i];
        if (b.at <= a.at || b.at - a.at > limit) continue;
        auto lo = std::max(a.at, from);
        auto hi = std::min(b.at, to);
        if (hi <= lo) continue;
        double w_lo = lo == a.at ? a.value.solar_w : power_at(a, b, lo);
        double w_hi = hi == b.at ? b.value.solar_w : power_at(a, b, hi);
        watt_seconds += (w_lo + w_hi) / 2 * seconds_f(hi - lo).count();
        covered += hi - lo;
    }
    return {watt_seconds / 3600.0, seconds_f(covered).count()};
}

double trapezoid_wh(std::span<const timed_reading> sorted, time_point from, time_point to, clock::duration limit) {
    return integrate(sorted, from, to, limit).wh;
}

std::optional<bucket_summary> summarize(std::span<const timed_reading> window, time_point start,
                                        std::chrono::seconds length, const gap_rule& rule) {
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
    // Only readings within the margin count, whatever the caller fetched:
    // the roll-up and the on-the-fly hours then agree exactly. A bridged
    // segment is at most margin() long, so both its ends lie in that range.
    const auto margin = rule.margin();
    const auto lo = std::lower_bound(window.begin(), window.end(), start - margin,
                                     [](const timed_reading& r, time_point t) { return r.at < t; });
    const auto hi = std::upper_bound(window.begin(), window.end(), end + margin,
                                     [](time_point t, const timed_reading& r) { return t < r.at; });
    const std::span<const timed_reading> near(lo, hi);
    const auto limit = rule.limit(typical_interval(near, start - margin, end + margin));
    const auto e = integrate(near, start, end, limit);
    s.solar_wh = e.wh;
    s.coverage_s = e.covered_s;
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
        if (s.coverage_s && p.coverage_s)
            *s.coverage_s += *p.coverage_s;
        else
            s.coverage_s.reset();
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

bool is_final_hour(time_point hour_start, time_point now, std::chrono::seconds margin) {
    return hour_start + one_hour + margin <= now;
}

time_point first_open_hour(time_point now, std::chrono::seconds margin) {
    // The hour after the newest final one.
    return floor_hour(now - one_hour - margin) + one_hour;
}

}  // namespace solgrid::domain
