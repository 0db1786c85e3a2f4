// The settlement fed by the simulator's physics (what `solgrid simulate`
// posts): metered debits match what each household drew, and without meters
// the SoC estimate matches the battery's discharge, split by nominal power.
#include "domain/market/settlement.hpp"
#include "simulator/sim_physics.hpp"
#include "simulator/simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace solgrid;
using namespace solgrid::domain::market;
using solgrid::domain::relay_state;

namespace {

struct run_result {
    std::map<std::string, std::int64_t> metered, estimated;
    std::array<double, 4> drawn{};  // the physics' own counters
    double discharged_wh = 0;
};

// One night hour (no sun) in 2 s readings: A and B on all along, C for the first half.
run_result night_hour(bool meters) {
    simulator::sim_model_options o;
    o.cloudiness = 0;
    o.loads_w = {350, 250, 300, 200};
    simulator::sim_model model(o, 1, {20 * 3600.0, 20.0, 171});
    settlement_config c;
    c.nominal_w = {350, 250, 300, 200};
    settlement s(c);
    run_result r;
    const double start_wh = model.energy_wh();
    const auto t0 = *domain::parse_iso8601("2026-06-20T20:00:00Z");
    for (int i = 0; i <= 1800; ++i) {
        const relay_state relays{{true, true, i <= 900, false}};
        model.advance({20 * 3600.0 + i * 2.0, 20.0 + i * 2.0 / 3600.0, 171}, relays);
        auto sample = model.sample(relays);
        settle_input in{t0 + std::chrono::seconds(i * 2), {sample.soc, sample.solar_w, sample.lux}, {}, relays};
        if (meters) {
            auto j = simulator::meters_json(sample.meter_wh);  // as posted
            for (std::size_t h = 0; h < 4; ++h) in.meter_wh[h] = j.at(std::string(1, "ABCD"[h])).as_double();
        }
        for (const auto& d : s.on_reading(in)) {
            EXPECT_EQ(check(d), std::nullopt);
            EXPECT_NE(d.kind, entry_kind::solar_credit);  // night
            if (d.kind != entry_kind::consumption_debit) continue;
            for (const auto& p : d.postings)
                if (p.account != "consumption") (d.estimated ? r.estimated : r.metered)[p.account] -= p.energy_wh;
        }
    }
    r.drawn = model.meter_wh();
    r.discharged_wh = start_wh - model.energy_wh();
    return r;
}

}  // namespace

TEST(SettlementWithSim, MeteredDebitsAreWhatEachHouseholdDrew) {
    auto r = night_hour(true);
    EXPECT_NEAR(r.drawn[0], 350.0, 0.01);
    EXPECT_NEAR(r.drawn[2], 150.0, 0.01);
    for (std::size_t h = 0; h < 4; ++h) {
        const std::string name(1, "ABCD"[h]);
        // The first reading is the baseline: what was drawn after it, floored to whole Wh.
        EXPECT_NEAR(static_cast<double>(r.metered[name]), r.drawn[h] - r.drawn[h] / 1800.0, 1.0) << name;
    }
    EXPECT_TRUE(r.estimated.empty());
}

TEST(SettlementWithSim, WithoutMetersTheSoCEstimateFollowsTheBattery) {
    auto r = night_hour(false);
    EXPECT_TRUE(r.metered.empty());
    std::int64_t total = 0;
    for (const auto& [h, wh] : r.estimated) total += wh;
    // The battery's discharge (loads / efficiency), within one SoC step (100 Wh of 10 kWh).
    EXPECT_NEAR(static_cast<double>(total), r.discharged_wh, 100.0);
    // Each household's share is what it drew (plus the discharge loss) within a share of one
    // SoC step: a tick is split by nominal power x on-time since the previous tick, so C, which
    // went off between two ticks, is billed part of the tick after.
    for (std::size_t h = 0; h < 3; ++h) {
        const std::string name(1, "ABCD"[h]);
        EXPECT_NEAR(static_cast<double>(r.estimated[name]), r.drawn[h] / 0.95, 40.0) << name;
    }
    EXPECT_GT(r.estimated["A"], r.estimated["B"]);
    EXPECT_EQ(r.estimated.count("D"), 0u);
}
