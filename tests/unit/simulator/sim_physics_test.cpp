#include "simulator/sim_physics.hpp"
#include "simulator/simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace solgrid::simulator;
using solgrid::domain::relay_state;

namespace {

constexpr int june = 171, december = 354;
const relay_state all_off{};
const relay_state all_on{{true, true, true, true}};

sim_time at_hour(double h, int day = june, double base_seconds = 0) { return {base_seconds + h * 3600.0, h, day}; }

sim_model_options calm() {
    sim_model_options o;
    o.cloudiness = 0.0;
    return o;
}

}  // namespace

TEST(SimSun, DarkAtNightBrightAtNoon) {
    EXPECT_EQ(clear_sky_fraction(2.0, june, 12.5), 0.0);
    EXPECT_EQ(clear_sky_fraction(23.0, june, 12.5), 0.0);
    EXPECT_NEAR(clear_sky_fraction(12.5, june, 12.5), 1.0, 1e-9);
    // Rises, peaks at solar noon, falls.
    EXPECT_LT(clear_sky_fraction(8.0, june, 12.5), clear_sky_fraction(10.0, june, 12.5));
    EXPECT_LT(clear_sky_fraction(10.0, june, 12.5), clear_sky_fraction(12.5, june, 12.5));
    EXPECT_GT(clear_sky_fraction(14.0, june, 12.5), clear_sky_fraction(17.0, june, 12.5));
    EXPECT_NEAR(clear_sky_fraction(10.5, june, 12.5), clear_sky_fraction(14.5, june, 12.5), 1e-9);
}

TEST(SimSun, WinterDaysAreShorterAndWeaker) {
    EXPECT_GT(day_length_h(june), 14.0);
    EXPECT_LT(day_length_h(december), 10.0);
    EXPECT_LT(clear_sky_fraction(12.5, december, 12.5), clear_sky_fraction(12.5, june, 12.5));
    EXPECT_EQ(clear_sky_fraction(6.0, december, 12.5), 0.0);  // still dark at 6 in December
    EXPECT_GT(clear_sky_fraction(6.0, june, 12.5), 0.0);      // already light in June
}

TEST(SimModel, SolarFollowsTheDayAndLuxAgrees) {
    sim_model m(calm(), 1, at_hour(0));
    double prev_noon_w = 0;
    for (double h : {2.0, 9.0, 12.5, 16.0, 22.0}) {
        m.advance(at_hour(h), all_off);
        auto s = m.sample(all_off);
        EXPECT_GE(s.solar_w, 0.0);
        EXPECT_LE(s.solar_w, m.options().panel_w * 1.1);
        if (h == 2.0 || h == 22.0) {
            EXPECT_EQ(s.solar_w, 0.0) << h;
            EXPECT_EQ(s.lux, 0.0) << h;
        } else {
            EXPECT_GT(s.solar_w, 0.0) << h;
            // The same irradiance: lux / W is the panel's constant.
            EXPECT_NEAR(s.lux / s.solar_w, lux_at_full_sun / m.options().panel_w, 0.5) << h;
        }
        if (h == 12.5) prev_noon_w = s.solar_w;
    }
    EXPECT_GT(prev_noon_w, 0.8 * m.options().panel_w);  // a clear noon sun
}

TEST(SimModel, CloudsDimTheSunAndDriftWithoutLeavingTheirRange) {
    auto cloudy = calm();
    cloudy.cloudiness = 0.9;
    sim_model clear(calm(), 7, at_hour(12));
    sim_model grey(cloudy, 7, at_hour(12));
    double clear_w = 0, grey_w = 0;
    double min_cover = 1, max_cover = 0;
    for (int i = 1; i <= 200; ++i) {
        auto t = at_hour(12.0 + i * 0.005);
        clear.advance(t, all_off);
        grey.advance(t, all_off);
        clear_w += clear.sample(all_off).solar_w;
        grey_w += grey.sample(all_off).solar_w;
        min_cover = std::min(min_cover, grey.cloud_cover());
        max_cover = std::max(max_cover, grey.cloud_cover());
    }
    EXPECT_LT(grey_w, clear_w * 0.7);
    EXPECT_GE(min_cover, 0.0);
    EXPECT_LE(max_cover, 1.0);
    EXPECT_GT(max_cover - min_cover, 0.01);  // it moves
}

TEST(SimModel, SameSeedSameWeather) {
    sim_model a(sim_model_options{}, 42, at_hour(10));
    sim_model b(sim_model_options{}, 42, at_hour(10));
    a.advance(at_hour(11), all_on);
    b.advance(at_hour(11), all_on);
    EXPECT_EQ(a.sample(all_on).solar_w, b.sample(all_on).solar_w);
    EXPECT_EQ(a.energy_wh(), b.energy_wh());
}

TEST(SimModel, BatteryChargesFromTheSunWithNoLoad) {
    sim_model m(calm(), 1, at_hour(10));
    double before = m.energy_wh();
    m.advance(at_hour(11), all_off);
    // About an hour at ~1 kW+, less the charging loss.
    EXPECT_GT(m.energy_wh() - before, 700.0);
    EXPECT_LT(m.energy_wh() - before, m.options().panel_w);
}

TEST(SimModel, OnlyHouseholdsWithRelaysOnDrawFromTheBattery) {
    auto o = calm();
    o.loads_w = {100, 200, 300, 400};
    sim_model m(o, 1, at_hour(0));
    relay_state b_and_d{{false, true, false, true}};
    EXPECT_EQ(m.load_w(all_off), 0.0);
    EXPECT_EQ(m.load_w(b_and_d), 600.0);
    double before = m.energy_wh();
    m.advance(at_hour(1), b_and_d);  // night: no sun
    EXPECT_NEAR(before - m.energy_wh(), 600.0 / o.efficiency, 1e-6);
    double mid = m.energy_wh();
    m.advance(at_hour(2), all_off);
    EXPECT_EQ(m.energy_wh(), mid);  // nothing on, nothing drawn
    EXPECT_EQ(m.sample(b_and_d).load_w, 600.0);
}

TEST(SimModel, SocIsClampedToEmptyAndFull) {
    auto o = calm();
    o.capacity_wh = 1000;
    o.initial_soc = 10;
    sim_model drain(o, 1, at_hour(20));
    drain.advance(at_hour(23.9), all_on);  // ~4 kWh of loads from 100 Wh
    EXPECT_EQ(drain.energy_wh(), 0.0);
    EXPECT_EQ(drain.sample(all_on).soc, 0);

    o.initial_soc = 95;
    sim_model fill(o, 1, at_hour(9));
    fill.advance(at_hour(15), all_off);
    EXPECT_EQ(fill.energy_wh(), 1000.0);
    EXPECT_EQ(fill.sample(all_off).soc, 100);
}

TEST(SimModel, SocIsThePercentageOfStoredEnergy) {
    auto o = calm();
    o.initial_soc = 42;
    sim_model m(o, 1, at_hour(0));
    EXPECT_EQ(m.sample(all_off).soc, 42);
    EXPECT_NEAR(m.energy_wh(), 0.42 * o.capacity_wh, 1e-9);
}

TEST(SimModel, LongStepsIntegrateAcrossTheDay) {
    // One 24-hour step from midnight sees the whole daylight curve.
    auto o = calm();
    o.capacity_wh = 100000;  // never full
    o.initial_soc = 0;
    sim_model one_step(o, 1, at_hour(0));
    sim_model hourly(o, 1, at_hour(0));
    one_step.advance(at_hour(24), all_off);
    for (int h = 1; h <= 24; ++h) hourly.advance(at_hour(h), all_off);
    EXPECT_GT(one_step.energy_wh(), 8000.0);  // a clear June day: ~11 kWh
    EXPECT_NEAR(one_step.energy_wh(), hourly.energy_wh(), 50.0);
}

TEST(SimMeters, CountWhatEachHouseholdDrewWhileItsRelayWasOn) {
    auto o = calm();
    o.loads_w = {100, 200, 300, 400};
    sim_model m(o, 1, at_hour(0));
    EXPECT_EQ(m.meter_wh(), (std::array<double, 4>{0, 0, 0, 0}));
    relay_state b_and_d{{false, true, false, true}};
    m.advance(at_hour(1), b_and_d);  // night, a full battery's worth of charge: all served
    EXPECT_NEAR(m.meter_wh()[0], 0.0, 1e-12);
    EXPECT_NEAR(m.meter_wh()[1], 200.0, 1e-6);
    EXPECT_NEAR(m.meter_wh()[2], 0.0, 1e-12);
    EXPECT_NEAR(m.meter_wh()[3], 400.0, 1e-6);
    m.advance(at_hour(1.5), all_on);
    EXPECT_NEAR(m.meter_wh()[0], 50.0, 1e-6);
    EXPECT_NEAR(m.meter_wh()[1], 300.0, 1e-6);
    EXPECT_NEAR(m.meter_wh()[3], 600.0, 1e-6);
    m.advance(at_hour(2), all_off);  // off: the counters hold still
    EXPECT_NEAR(m.meter_wh()[1], 300.0, 1e-6);
    // The sample carries them, and the battery paid for them (discharge loss included).
    auto s = m.sample(all_off);
    EXPECT_EQ(s.meter_wh, m.meter_wh());
    const double drawn = s.meter_wh[0] + s.meter_wh[1] + s.meter_wh[2] + s.meter_wh[3];
    EXPECT_NEAR(o.capacity_wh * o.initial_soc / 100.0 - m.energy_wh(), drawn / o.efficiency, 1e-6);
}

TEST(SimMeters, AnEmptyBatteryServesOnlyWhatItHadAndTheCountersNeverGoBack) {
    auto o = calm();
    o.capacity_wh = 1000;
    o.initial_soc = 10;  // 100 Wh
    o.loads_w = {500, 500, 0, 0};
    sim_model m(o, 1, at_hour(20));
    std::array<double, 4> before{};
    for (int i = 1; i <= 40; ++i) {
        m.advance(at_hour(20 + i * 0.1), all_on);  // 4 h of 1 kW at night from 100 Wh
        for (std::size_t h = 0; h < 4; ++h) EXPECT_GE(m.meter_wh()[h], before[h]);
        before = m.meter_wh();
    }
    EXPECT_EQ(m.energy_wh(), 0.0);
    // 100 Wh in the battery, 95 % of it delivered, split evenly: ~47.5 Wh each, not 2 kWh.
    EXPECT_NEAR(m.meter_wh()[0], 47.5, 0.5);
    EXPECT_NEAR(m.meter_wh()[1], 47.5, 0.5);
    EXPECT_EQ(m.meter_wh()[2], 0.0);
}

TEST(SimMeters, InTheSunTheLoadsAreServedEvenWithAnEmptyBattery) {
    auto o = calm();
    o.initial_soc = 0;
    o.loads_w = {200, 0, 0, 0};
    sim_model m(o, 1, at_hour(11));
    m.advance(at_hour(12), all_on);  // ~1.4 kW of sun for a 200 W load
    EXPECT_NEAR(m.meter_wh()[0], 200.0, 1e-6);
}

TEST(SimMeters, ThePostCarriesThemRoundedDownToMilliWh) {
    auto j = meters_json({1.23456, 0.0, 1e6 + 0.0009999, 42.0});
    EXPECT_EQ(j.size(), 4u);
    EXPECT_DOUBLE_EQ(j.at("A").as_double(), 1.234);
    EXPECT_DOUBLE_EQ(j.at("B").as_double(), 0.0);
    EXPECT_DOUBLE_EQ(j.at("C").as_double(), 1e6);
    EXPECT_DOUBLE_EQ(j.at("D").as_double(), 42.0);
}

TEST(SimClock, SpeedCompressesTime) {
    sim_clock c{solgrid::domain::time_point{std::chrono::hours(1000)}, 60.0};
    auto later = c.at(std::chrono::seconds(10));
    EXPECT_EQ(later - c.start, std::chrono::minutes(10));
    sim_clock real{c.start, 1.0};
    EXPECT_EQ(real.at(std::chrono::seconds(10)) - c.start, std::chrono::seconds(10));
}

TEST(SimClock, TodayAtGivesThatLocalHour) {
    auto t = to_sim_time(today_at(13.25));
    EXPECT_NEAR(t.local_hour, 13.25, 1e-6);
}
