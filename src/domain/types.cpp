#include "domain/types.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace solgrid::domain {

std::optional<rule_violation> check(const reading& r, const reading_limits& limits) {
    if (r.soc < 0 || r.soc > 100) return rule_violation{"soc", "soc must be an integer between 0 and 100"};
    auto in_range = [](std::string field, double v, double max) -> std::optional<rule_violation> {
        if (std::isfinite(v) && v >= 0 && v <= max) return std::nullopt;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", max);
        return rule_violation{field, field + " must be a number between 0 and " + buf};
    };
    if (auto bad = in_range("solar_w", r.solar_w, limits.solar_w_max)) return bad;
    return in_range("lux", r.lux, limits.lux_max);
}

std::string to_iso8601(time_point t) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

std::string accepted_time_range() {
    return to_iso8601(earliest_time) + " and " + to_iso8601(end_of_time - std::chrono::milliseconds(1));
}

parsed_time parse_iso8601_checked(std::string_view s) {
    const parsed_time malformed{std::nullopt, time_parse_error::malformed};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    std::size_t pos = 0;
    auto digits = [&](int n, int& out) {
        if (pos + n > s.size()) return false;
        out = 0;
        for (int i = 0; i < n; ++i) {
            char c = s[pos + i];
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
        }
        pos += n;
        return true;
    };
    auto lit = [&](char c) {
        if (pos < s.size() && s[pos] == c) {
            ++pos;
            return true;
        }
        return false;
    };
    if (!digits(4, y) || !lit('-') || !digits(2, mo) || !lit('-') || !digits(2, d)) return malformed;
    long long micros = 0;
    int offset_min = 0;
    bool bad_offset = false;
    if (pos < s.size()) {
        if (!(lit('T') || lit(' ') || lit('t'))) return malformed;
        if (!digits(2, h) || !lit(':') || !digits(2, mi)) return malformed;
        if (lit(':') && !digits(2, sec)) return malformed;
        if (lit('.')) {
            int n = 0;
            long long frac = 0;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (n < 6) frac = frac * 10 + (s[pos] - '0'), ++n;
                ++pos;
            }
            if (n == 0) return malformed;
            while (n < 6) frac *= 10, ++n;
            micros = frac;
        }
        if (lit('Z') || lit('z')) {
        } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
            int sign = s[pos] == '-' ? -1 : 1;
            ++pos;
            int oh = 0, om = 0;
            if (!digits(2, oh)) return malformed;
            lit(':');
            if (!digits(2, om)) return malformed;
            offset_min = sign * (oh * 60 + om);
            bad_offset = om > 59 || oh * 60 + om > max_zone_offset_minutes;
        }
    }
    if (pos != s.size()) return malformed;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return malformed;
    if (bad_offset) return {std::nullopt, time_parse_error::zone_offset};
    using namespace std::chrono;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return malformed;
    // Years 0000-9999 in microseconds stay within ±3.2e17 of the epoch: no
    // overflow in 64 bits. Only then is the range checked, before the cast to
    // the clock's nanoseconds (which would wrap for years beyond 1677-2262).
    sys_time<microseconds> tp =
        sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} - minutes{offset_min};
    // Compared in microseconds: the common type (nanoseconds) would overflow.
    if (tp < time_point_cast<microseconds>(earliest_time) || tp >= time_point_cast<microseconds>(end_of_time))
        return {std::nullopt, time_parse_error::out_of_range};
    return {time_point{duration_cast<clock::duration>(tp.time_since_epoch())}, time_parse_error::none};
}

std::optional<time_point> parse_iso8601(std::string_view s) { return parse_iso8601_checked(s).at; }

}  // namespace solgrid::domain
