#include "domain/market/settlement.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace solgrid::domain::market {

namespace {

constexpr std::int64_t mwh_units = 7'200'000;  // 1 mWh = 3.6e6 uJ = 7.2e6 half-uJ
constexpr std::int64_t mw_ms_per_mwh = 3'600'000;  // 1 mWh = 3.6e6 mW x ms
constexpr double max_meter_wh = 1e12;
constexpr double max_solar_w = 1e9;  // keeps every product below inside 128 bits
const std::array<std::string, 4> household_accounts{"A", "B", "C", "D"};

std::int64_t to_mw(double w) {
    if (!std::isfinite(w) || w <= 0) return 0;
    return std::llround(std::min(w, max_solar_w) * 1000.0);
}

std::optional<std::int64_t> to_mwh(const std::optional<double>& wh) {
    if (!wh || !std::isfinite(*wh) || *wh < 0 || *wh > max_meter_wh) return std::nullopt;
    return std::llround(*wh * 1000.0);
}

std::int64_t floor_ms(time_point t) {
    return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
}

std::string iso_ms(std::int64_t ms) {
    return to_iso8601(time_point{std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(ms))});
}

// A consumption entry: each household -E_h, "consumption" +sum (nullopt: nothing to post).
std::optional<ledger_draft> consumption_draft(const std::array<std::int64_t, 4>& wh, bool estimated,
                                              time_point at, const std::string& reference) {
    ledger_draft d;
    d.kind = entry_kind::consumption_debit;
    d.at = at;
    d.reference = reference;
    d.estimated = estimated;
    std::int64_t sum = 0;
    for (std::size_t h = 0; h < wh.size(); ++h) {
        if (wh[h] <= 0) continue;
        d.postings.push_back({household_accounts[h], -wh[h], 0});
        sum += wh[h];
    }
    if (sum == 0) return std::nullopt;
    d.postings.push_back({"consumption", sum, 0});
    return d;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "k1:v1,k2:v2" -> pairs (trimmed); an item without ':' gives an empty key.
std::vector<std::pair<std::string_view, std::string_view>> split_pairs(std::string_view text) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    while (true) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        auto colon = item.find(':');
        if (colon == std::string_view::npos) out.emplace_back(std::string_view{}, item);
        else out.emplace_back(trim(item.substr(0, colon)), trim(item.substr(colon + 1)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::optional<double> parse_watts(std::string_view s) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v) || v <= 0 || v > 1e6) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::string> check(const settlement_config& c) {
    long long sum = 0;
    for (const auto& [k, w] : c.shares) {
        if (!is_holder_account(k)) return "share for unknown account '" + k + "' (A, B, C, D or pool)";
        if (w < 0 || w > max_share_weight) return "share of " + k + " must be 0.." + std::to_string(max_share_weight);
        sum += w;
    }
    if (sum <= 0) return "shares must sum to more than 0";
    if (!std::isfinite(c.battery_capacity_wh) || c.battery_capacity_wh <= 0 || c.battery_capacity_wh > 1e9)
        return "battery capacity must be in (0, 1e9] Wh";
    if (c.max_gap.count() <= 0) return "max_gap must be positive";
    for (std::size_t h = 0; h < c.nominal_w.size(); ++h) {
        const double w = c.nominal_w[h];
        if (!std::isfinite(w) || w <= 0 || w > 1e6)
            return "nominal power of " + household_accounts[h] + " must be in (0, 1000000] W";
    }
    return std::nullopt;
}

settlement::settlement(settlement_config c) : cfg_(std::move(c)) {
    if (auto bad = check(cfg_)) throw std::invalid_argument("settlement: " + *bad);
    capacity_mwh_ = std::llround(cfg_.battery_capacity_wh * 1000.0);
    for (std::size_t h = 0; h < nominal_mw_.size(); ++h)
        nominal_mw_[h] = std::max<std::int64_t>(1, std::llround(cfg_.nominal_w[h] * 1000.0));
    for (const auto& [k, w] : cfg_.shares) share_sum_ += w;
}

settlement::sample settlement::to_sample(const settle_input& in) {
    sample now;
    now.at_ms = floor_ms(in.at);
    now.soc = std::clamp(in.value.soc, 0, 100);
    now.solar_mw = to_mw(in.value.solar_w);
    for (std::size_t h = 0; h < now.meter_mwh.size(); ++h) now.meter_mwh[h] = to_mwh(in.meter_wh[h]);
    return now;
}

std::optional<std::int64_t> settlement::baseline_ms() const {
    if (!prev_) return std::nullopt;
    return prev_->at_ms;
}

void settlement::rebase(const settle_input& in) {
    prev_ = to_sample(in);
    pending_ = 0;  // as after a gap: the discharge before it was someone else's to allocate
    weight_ = {};
}

std::vector<ledger_draft> settlement::on_reading(const settle_input& in) {
    const sample now = to_sample(in);

    std::vector<ledger_draft> out;
    if (!prev_) {  // the first reading only sets the baseline
        prev_ = now;
        return out;
    }
    const std::int64_t dt_ms = now.at_ms - prev_->at_ms;
    const bool bridged = dt_ms > 0 && dt_ms <= std::chrono::milliseconds(cfg_.max_gap).count();
    const std::string reference = "readings " + iso_ms(prev_->at_ms) + ".." + iso_ms(now.at_ms);

    // Solar: trapezoid (w1 + w2) / 2 x dt, in half-microjoules: (mW1 + mW2) x ms.
    const __int128 solar = bridged ? (__int128{prev_->solar_mw} + now.solar_mw) * dt_ms : 0;
    if (solar > 0) {
        ledger_draft d;
        d.kind = entry_kind::solar_credit;
        d.at = in.at;
        d.reference = reference;
        credit_solar(solar, d.postings);
        if (d.postings.size() >= 2) out.push_back(std::move(d));
    }

    // Metered: counter deltas, sub-Wh remainders carried per household.
    const auto metered = meter_deltas(now, dt_ms);
    std::array<std::int64_t, 4> metered_wh{};
    for (std::size_t h = 0; h < metered.size(); ++h) {
        if (!metered[h]) continue;
        metered_carry_mwh_[h] += *metered[h];
        metered_wh[h] = metered_carry_mwh_[h] / 1000;
        metered_carry_mwh_[h] %= 1000;
    }
    if (auto d = consumption_draft(metered_wh, false, in.at, reference)) out.push_back(std::move(*d));

    // Estimated: the battery's net discharge, for households without a usable meter delta.
    if (bridged) {
        auto estimated_wh = estimate(now, dt_ms, solar, metered, in.relays);
        if (auto d = consumption_draft(estimated_wh, true, in.at, reference)) out.push_back(std::move(*d));
    } else {
        pending_ = 0;  // SoC across a gap says nothing about who drew what
        weight_ = {};
    }
    prev_ = now;
    return out;
}

void settlement::credit_solar(__int128 units, std::vector<posting>& out) {
    solar_units_ += units;
    std::int64_t sum = 0;
    const __int128 denominator = __int128{share_sum_} * units_per_wh;
    for (const auto& [holder, weight] : cfg_.shares) {
        if (weight <= 0) continue;
        // The running floor of the holder's share: monotone in the integral,
        // so an increment is never negative and the carry is < 1 Wh per holder.
        const auto entitled = static_cast<std::int64_t>(solar_units_ * weight / denominator);
        auto& credited = credited_[holder];
        const std::int64_t inc = entitled - credited;
        if (inc <= 0) continue;
        credited = entitled;
        out.push_back({holder, inc, 0});
        sum += inc;
    }
    if (sum > 0) out.push_back({"solar", -sum, 0});
}

std::array<std::optional<std::int64_t>, 4> settlement::meter_deltas(const sample& now, std::int64_t dt_ms) const {
    std::array<std::optional<std::int64_t>, 4> out;
    const std::int64_t bound_ms = std::max<std::int64_t>(dt_ms, std::chrono::milliseconds(meter_sanity_min_dt).count());
    for (std::size_t h = 0; h < out.size(); ++h) {
        const auto& before = prev_->meter_mwh[h];
        const auto& after = now.meter_mwh[h];
        if (!before || !after) continue;  // no baseline, or no value now: estimated
        // A counter that went down restarted: what it shows is the use since.
        const std::int64_t delta = *after >= *before ? *after - *before : *after;
        const __int128 max_uj = __int128{nominal_mw_[h]} * meter_sanity_factor * bound_ms;
        if (__int128{delta} * mw_ms_per_mwh > max_uj) continue;  // absurd: re-baselined, estimated
        out[h] = delta;
    }
    return out;
}

std::array<std::int64_t, 4> settlement::estimate(const sample& now, std::int64_t dt_ms, __int128 solar,
                                                 const std::array<std::optional<std::int64_t>, 4>& metered,
                                                 const relay_state& relays) {
    const __int128 step = __int128{capacity_mwh_} * (mwh_units / 100);  // one SoC percent in units
    __int128 raw = -__int128{now.soc - prev_->soc} * step + solar;
    for (const auto& m : metered)
        if (m) raw -= __int128{*m} * mwh_units;
    pending_ += raw;
    // SoC is an integer percent: its rounding hides at most one step, so a
    // surplus beyond one step is not rounding but an unmeasured input: dropped.
    if (pending_ < -step) pending_ = -step;

    __int128 total_weight = 0;
    for (std::size_t h = 0; h < weight_.size(); ++h) {
        if (!metered[h] && relays.on[h]) weight_[h] += __int128{nominal_mw_[h]} * dt_ms;
        total_weight += weight_[h];
    }
    if (total_weight > (__int128{1} << 60)) {  // keep pending x weight inside 128 bits
        total_weight = 0;
        for (auto& w : weight_) total_weight += (w >>= 20);
    }

    std::array<std::int64_t, 4> wh{};
    if (pending_ > 0) {
        if (total_weight > 0) {
            // Split in proportion to nominal_w x on-time since the last
            // allocation; the few units floor division leaves go one each to
            // the first households with weight, so the split sums exactly.
            __int128 given = 0;
            std::array<__int128, 4> part{};
            for (std::size_t h = 0; h < part.size(); ++h) given += part[h] = pending_ * weight_[h] / total_weight;
            for (std::size_t h = 0; given < pending_; h = (h + 1) % part.size())
                if (weight_[h] > 0) ++part[h], ++given;
            for (std::size_t h = 0; h < part.size(); ++h) estimated_carry_[h] += part[h];
            weight_ = {};
        }
        pending_ = 0;  // nobody unmetered was on: losses or the metered households' rounding
    }
    for (std::size_t h = 0; h < wh.size(); ++h) {
        wh[h] = static_cast<std::int64_t>(estimated_carry_[h] / units_per_wh);
        estimated_carry_[h] %= units_per_wh;
    }
    return wh;
}

parsed_shares parse_market_shares(std::string_view text) {
    parsed_shares out;
    auto fail = [&](std::string why) {
        out.error = "MARKET_SHARES: " + std::move(why) + " (expected e.g. A:25,B:25,C:25,D:25[,pool:N])";
        return out;
    };
    if (trim(text).empty()) return fail("empty");
    std::map<std::string, int> shares;
    for (auto [key, value] : split_pairs(text)) {
        if (key.empty()) return fail("'" + std::string(value) + "' is not HOLDER:WEIGHT");
        if (!is_holder_account(key)) return fail("unknown holder '" + std::string(key) + "'");
        int w = -1;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), w);
        if (value.empty() || ec != std::errc{} || p != value.data() + value.size() || w < 0 || w > max_share_weight)
            return fail("weight of " + std::string(key) + " must be an integer 0.." + std::to_string(max_share_weight));
        if (!shares.emplace(std::string(key), w).second) return fail(std::string(key) + " named twice");
    }
    long long sum = 0;
    for (const auto& [k, w] : shares) sum += w;
    if (sum <= 0) return fail("weights must sum to more than 0");
    out.value = std::move(shares);
    return out;
}

parsed_nominal_w parse_household_nominal_w(std::string_view text) {
    parsed_nominal_w out;
    auto fail = [&](std::string why) {
        out.error = "HOUSEHOLD_NOMINAL_W: " + std::move(why) + " (expected W in (0, 1000000], e.g. 500 or A:500,B:800,C:500,D:500)";
        return out;
    };
    text = trim(text);
    if (text.empty()) return fail("empty");
    if (text.find(':') == std::string_view::npos) {
        auto w = parse_watts(text);
        if (!w) return fail("'" + std::string(text) + "' is not a power");
        out.value = std::array<double, 4>{*w, *w, *w, *w};
        return out;
    }
    std::array<std::optional<double>, 4> named;
    for (auto [key, value] : split_pairs(text)) {
        auto it = std::find(household_accounts.begin(), household_accounts.end(), key);
        if (key.empty() || it == household_accounts.end())
            return fail(key.empty() ? "'" + std::string(value) + "' is not HOUSEHOLD:W" : "unknown household '" + std::string(key) + "'");
        auto& slot = named[static_cast<std::size_t>(it - household_accounts.begin())];
        if (slot) return fail(std::string(key) + " named twice");
        slot = parse_watts(value);
        if (!slot) return fail("power of " + std::string(key) + " '" + std::string(value) + "' is not a number in range");
    }
    std::array<double, 4> w{};
    for (std::size_t h = 0; h < w.size(); ++h) {
        if (!named[h]) return fail(household_accounts[h] + " missing (name all four, or give one number)");
        w[h] = *named[h];
    }
    out.value = w;
    return out;
}

}  // namespace solgrid::domain::market
