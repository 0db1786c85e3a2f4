#include "simulator/sim_physics.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace solgrid::simulator {
namespace {

constexpr double pi = 3.14159265358979323846;
// Cloud cover forgets its past over about 20 minutes and wanders up to ±0.25.
constexpr double cloud_reversion_per_s = 1.0 / 1200.0;
constexpr double cloud_stationary_sd = 0.25;
// The sensors' fast flicker (passing cloud edges, noise), as a fraction.
constexpr double flicker_sd = 0.02;
// Integration step: the sun and the clouds change little within it.
constexpr double max_step_s = 30.0;

double wrap_hour(double h) {
    h = std::fmod(h, 24.0);
    return h < 0 ? h + 24.0 : h;
}

}  // namespace

sim_time to_sim_time(domain::time_point t) {
    auto secs = std::chrono::duration<double>(t.time_since_epoch()).count();
    std::time_t tt = static_cast<std::time_t>(std::floor(secs));
    std::tm tm{};
    localtime_r(&tt, &tm);
    sim_time out;
    out.seconds = secs;
    out.local_hour = tm.tm_hour + tm.tm_min / 60.0 + (tm.tm_sec + (secs - std::floor(secs))) / 3600.0;
    out.day_of_year = tm.tm_yday;
    return out;
}

domain::time_point today_at(double hour) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    auto midnight = domain::clock::from_time_t(std::mktime(&tm));
    return midnight + std::chrono::duration_cast<domain::clock::duration>(std::chrono::duration<double>(hour * 3600.0));
}

double day_length_h(int day_of_year) {
    // Longest around 21 June (day 171), ±2.55 h around 12.15 h.
    return 12.15 + 2.55 * std::cos(2.0 * pi * (day_of_year - 171) / 365.0);
}

double clear_sky_fraction(double local_hour, int day_of_year, double solar_noon_h) {
    double len = day_length_h(day_of_year);
    double from_sunrise = wrap_hour(local_hour - (solar_noon_h - len / 2.0));
    if (from_sunrise >= len) return 0.0;
    // The sun climbs higher in summer: peak output scales with noon elevation.
    double season = 0.75 + 0.25 * std::cos(2.0 * pi * (day_of_year - 171) / 365.0);
    // sin^1.3: slower mornings and evenings than a plain sine (air mass).
    return season * std::pow(std::sin(pi * from_sunrise / len), 1.3);
}

sim_model::sim_model(sim_model_options opts, std::uint32_t seed, sim_time start)
    : opts_(opts), rng_(seed), now_(start) {
    opts_.capacity_wh = std::max(opts_.capacity_wh, 1.0);
    opts_.efficiency = std::clamp(opts_.efficiency, 0.1, 1.0);
    energy_wh_ = std::clamp(opts_.initial_soc, 0.0, 100.0) / 100.0 * opts_.capacity_wh;
    cloud_ = std::clamp(opts_.cloudiness, 0.0, 1.0);
}

double sim_model::load_w(const domain::relay_state& relays) const {
    double w = 0;
    for (std::size_t i = 0; i < relays.on.size(); ++i)
        if (relays.on[i]) w += std::max(0.0, opts_.loads_w[i]);
    return w;
}

double sim_model::solar_w_at(double local_hour, int day_of_year) const {
    double transmittance = 1.0 - 0.75 * cloud_;
    return opts_.panel_w * clear_sky_fraction(local_hour, day_of_year, opts_.solar_noon_h) * transmittance;
}

void sim_model::step(double dt_s, double local_hour, int day_of_year, const domain::relay_state& relays) {
    // Ornstein–Uhlenbeck step for the cloud cover (exact for any dt).
    double mean = std::clamp(opts_.cloudiness, 0.0, 1.0);
    double decay = std::exp(-cloud_reversion_per_s * dt_s);
    // Clear skies (mean 0) and full overcast (mean 1) hold still; skies in
    // between wander most.
    double spread = cloud_stationary_sd * 2.0 * std::sqrt(mean * (1.0 - mean));
    double sd = spread * std::sqrt(1.0 - decay * decay);
    cloud_ = std::clamp(mean + (cloud_ - mean) * decay + sd * normal_(rng_), 0.0, 1.0);

    const double load = load_w(relays);
    const double solar = solar_w_at(local_hour, day_of_year);
    double net_w = solar - load;
    double flow_w = net_w > 0 ? net_w * opts_.efficiency : net_w / opts_.efficiency;
    // The share of the load that was served: all of it unless the battery ran
    // out within the step; then the sun's part and what the battery still had.
    double served = 1.0;
    if (load > 0 && net_w < 0) {
        const double demand_wh = -flow_w * dt_s / 3600.0;
        if (demand_wh > energy_wh_) {
            const double from_battery = (load - solar) * (energy_wh_ / demand_wh);
            served = std::clamp((solar + from_battery) / load, 0.0, 1.0);
        }
    }
    for (std::size_t i = 0; i < meter_wh_.size(); ++i)
        if (relays.on[i]) meter_wh_[i] += std::max(0.0, opts_.loads_w[i]) * served * dt_s / 3600.0;
    energy_wh_ = std::clamp(energy_wh_ + flow_w * dt_s / 3600.0, 0.0, opts_.capacity_wh);
}

void sim_model::advance(const sim_time& now, const domain::relay_state& relays) {
    double total = now.seconds - now_.seconds;
    if (total <= 0) return;
    int steps = static_cast<int>(std::ceil(total / max_step_s));
    double dt = total / steps;
    for (int i = 1; i <= steps; ++i) {
        // The sun at the middle of the step, counted from the last reading.
        double elapsed = (i - 0.5) * dt;
        double hour = now_.local_hour + elapsed / 3600.0;
        int day = now_.day_of_year + static_cast<int>(hour / 24.0);
        step(dt, wrap_hour(hour), day % 366, relays);
    }
    now_ = now;
}

sim_sample sim_model::sample(const domain::relay_state& relays) {
    double fraction = solar_w_at(now_.local_hour, now_.day_of_year) / std::max(opts_.panel_w, 1e-9);
    double flicker = std::max(0.0, 1.0 + flicker_sd * normal_(rng_));
    fraction *= flicker;
    sim_sample s;
    s.solar_w = std::round(std::max(0.0, opts_.panel_w * fraction) * 10.0) / 10.0;
    s.lux = std::round(std::max(0.0, lux_at_full_sun * fraction));
    s.energy_wh = energy_wh_;
    s.soc = static_cast<int>(std::lround(100.0 * energy_wh_ / opts_.capacity_wh));
    s.load_w = load_w(relays);
    s.cloud_cover = cloud_;
    s.meter_wh = meter_wh_;
    return s;
}

}  // namespace solgrid::simulator
