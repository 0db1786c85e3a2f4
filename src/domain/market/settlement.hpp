// Settlement and metering (issue 13): turns the stream of sensor readings
// into ledger drafts — solar credited to the share holders, metered and
// estimated consumption debited from the households — in whole Wh, carrying
// every sub-Wh remainder exactly in integers so nothing drifts.
// One owner thread; no I/O, no clock. A bad config throws
// std::invalid_argument from the constructor; on_reading never throws for
// odd readings (non-finite or negative values count as absent / zero).
// Formulas and bounds: docs/market.md, "Settlement and metering".
#pragma once

#include "domain/market/ledger.hpp"
#include "domain/types.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::domain::market {

struct settlement_config {
    std::map<std::string, int> shares{{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}};  // MARKET_SHARES
    double battery_capacity_wh = 10000.0;                 // BATTERY_CAPACITY_WH
    std::chrono::seconds max_gap{300};                    // AGGREGATE_MAX_GAP_S: longer intervals are not bridged
    std::array<double, 4> nominal_w{500, 500, 500, 500};  // HOUSEHOLD_NOMINAL_W per household A..D
};

// Why a config cannot be used (nullopt: it can): a share key that is not a
// holder (A-D, pool), a weight < 0 or > max_share_weight, weights summing to
// 0, a capacity not in (0, 1e9] Wh, max_gap <= 0, a nominal_w not in (0, 1e6] W.
std::optional<std::string> check(const settlement_config& c);

inline constexpr int max_share_weight = 1000000;

struct settle_input {
    time_point at;                                  // when the reading was stored
    reading value;                                  // soc (int %), solar_w, lux
    std::array<std::optional<double>, 4> meter_wh;  // cumulative Wh counters A..D when the device sent them
    relay_state relays;                             // relays on during the interval that ends at `at`
};

// A meter delta above nominal_w x meter_sanity_factor x max(dt, meter_sanity_min_dt)
// is refused as absurd (re-baselined, the interval estimated instead).
inline constexpr int meter_sanity_factor = 10;
inline constexpr std::chrono::seconds meter_sanity_min_dt{10};

class settlement {
public:
    explicit settlement(settlement_config c);

    // Feeds one reading; returns the ledger drafts to append now (possibly
    // none): at most one solar_credit entry ("solar" -E, each holder +E_h by
    // share) and up to two consumption_debit entries (household -E_h,
    // "consumption" +sum): one for metered households, one (estimated = true)
    // for estimated ones. Every posting a whole, non-zero Wh; each draft
    // passes market::check; `at` = in.at; `reference` names the interval.
    std::vector<ledger_draft> on_reading(const settle_input& in);

    // Several instances (docs/market.md "Several instances"): the time (ms)
    // of the reading the next interval starts at (nullopt before the first),
    // and rebase(): make `in` that reading, as if it had been fed here — it
    // was settled elsewhere. Carries and the solar integral are kept; the
    // pending discharge and the weights restart as after a gap.
    std::optional<std::int64_t> baseline_ms() const;
    void rebase(const settle_input& in);

    // Diagnostics (tests, logs). Energy integrated since construction, in
    // half-microjoules (1 Wh = units_per_wh): exact, never rounded.
    static constexpr std::int64_t units_per_wh = 7'200'000'000;  // 2 x 3.6e9 uJ
    __int128 solar_units() const { return solar_units_; }
    // Whole Wh credited so far to each holder (the running floor of its share).
    const std::map<std::string, std::int64_t>& credited_wh() const { return credited_; }

private:
    struct sample {
        std::int64_t at_ms = 0;
        int soc = 0;
        std::int64_t solar_mw = 0;
        std::array<std::optional<std::int64_t>, 4> meter_mwh;
    };

    static sample to_sample(const settle_input& in);
    void credit_solar(__int128 units, std::vector<posting>& out);
    // Metered deltas of this interval (mWh, nullopt: no usable delta).
    std::array<std::optional<std::int64_t>, 4> meter_deltas(const sample& now, std::int64_t dt_ms) const;
    std::array<std::int64_t, 4> estimate(const sample& now, std::int64_t dt_ms, __int128 solar,
                                         const std::array<std::optional<std::int64_t>, 4>& metered,
                                         const relay_state& relays);

    settlement_config cfg_;
    std::int64_t capacity_mwh_ = 0;
    std::array<std::int64_t, 4> nominal_mw_{};
    int share_sum_ = 0;

    std::optional<sample> prev_;
    __int128 solar_units_ = 0;                   // integral since construction
    std::map<std::string, std::int64_t> credited_;  // whole Wh credited per holder
    std::array<std::int64_t, 4> metered_carry_mwh_{};  // 0..999 mWh not yet posted
    std::array<__int128, 4> estimated_carry_{};        // units not yet posted (< 1 Wh)
    __int128 pending_ = 0;                              // signed net discharge not yet allocated (units)
    std::array<__int128, 4> weight_{};                  // nominal_mW x on-time ms since the last allocation
};

// MARKET_SHARES: "A:25,B:25,C:25,D:25[,pool:N]" — holders A-D and pool, each
// at most once, integer weights 0..1000000 (an omitted holder holds 0), sum > 0.
struct parsed_shares {
    std::optional<std::map<std::string, int>> value;
    std::string error;  // set when value is empty
};
parsed_shares parse_market_shares(std::string_view text);

// HOUSEHOLD_NOMINAL_W: one number for all ("500") or every household named
// once ("A:500,B:800,C:500,D:500"); each in (0, 1000000] W.
struct parsed_nominal_w {
    std::optional<std::array<double, 4>> value;
    std::string error;
};
parsed_nominal_w parse_household_nominal_w(std::string_view text);

}  // namespace solgrid::domain::market
