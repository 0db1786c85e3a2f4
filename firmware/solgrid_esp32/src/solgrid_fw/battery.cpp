#include "battery.h"

#include <cmath>

namespace solgrid_fw {
namespace {

const curve_point lifepo4_points[] = {
    {10.00f, 0.0f},  {12.00f, 9.0f},  {12.80f, 17.0f}, {12.90f, 20.0f}, {13.00f, 30.0f},
    {13.10f, 40.0f}, {13.20f, 70.0f}, {13.30f, 90.0f}, {13.40f, 99.0f}, {13.60f, 100.0f},
};
const curve_point lead_acid_points[] = {
    {11.31f, 0.0f},  {11.51f, 10.0f}, {11.66f, 20.0f}, {11.81f, 30.0f}, {11.96f, 40.0f}, {12.10f, 50.0f},
    {12.24f, 60.0f}, {12.37f, 70.0f}, {12.50f, 80.0f}, {12.62f, 90.0f}, {12.73f, 100.0f},
};
const curve_point liion_points[] = {
    {9.00f, 0.0f},   {10.35f, 5.0f},  {11.04f, 10.0f}, {11.22f, 20.0f}, {11.31f, 30.0f}, {11.37f, 40.0f},
    {11.46f, 50.0f}, {11.61f, 60.0f}, {11.76f, 70.0f}, {11.94f, 80.0f}, {12.18f, 90.0f}, {12.60f, 100.0f},
};

}  // namespace

const battery_curve lifepo4_4s{lifepo4_points, sizeof lifepo4_points / sizeof lifepo4_points[0]};
const battery_curve lead_acid_12v{lead_acid_points, sizeof lead_acid_points / sizeof lead_acid_points[0]};
const battery_curve liion_3s{liion_points, sizeof liion_points / sizeof liion_points[0]};

float soc_from_voltage(const battery_curve& curve, float volts) {
    if (!curve.points || curve.count == 0 || !std::isfinite(volts)) return 0.0f;
    const curve_point* p = curve.points;
    if (volts <= p[0].volts) return p[0].soc;
    if (volts >= p[curve.count - 1].volts) return p[curve.count - 1].soc;
    for (std::size_t i = 1; i < curve.count; ++i) {
        if (volts <= p[i].volts) {
            float span = p[i].volts - p[i - 1].volts;
            if (span <= 0.0f) return p[i].soc;
            float t = (volts - p[i - 1].volts) / span;
            return p[i - 1].soc + t * (p[i].soc - p[i - 1].soc);
        }
    }
    return p[curve.count - 1].soc;
}

int soc_percent(float soc) {
    if (!std::isfinite(soc) || soc <= 0.0f) return 0;
    if (soc >= 100.0f) return 100;
    return static_cast<int>(std::lround(soc));
}

float adc_to_volts(std::uint32_t raw, std::uint32_t adc_max, float vref) {
    if (adc_max == 0) return 0.0f;
    if (raw > adc_max) raw = adc_max;
    return static_cast<float>(raw) * vref / static_cast<float>(adc_max);
}

float divider_to_pack_volts(float pin_volts, float r_top_ohm, float r_bottom_ohm) {
    if (r_bottom_ohm <= 0.0f) return 0.0f;
    return pin_volts * (r_top_ohm + r_bottom_ohm) / r_bottom_ohm;
}

float ldr_lux(float pin_volts, float supply_volts, float r_fixed_ohm, float r10_ohm, float gamma) {
    // Bright light: low LDR resistance, pin near the supply.
    if (pin_volts <= 0.0f || gamma <= 0.0f || r10_ohm <= 0.0f) return 0.0f;
    if (pin_volts >= supply_volts) pin_volts = supply_volts * 0.999f;
    float r_ldr = r_fixed_ohm * (supply_volts - pin_volts) / pin_volts;
    if (r_ldr <= 0.0f) return 0.0f;
    return 10.0f * std::pow(r10_ohm / r_ldr, 1.0f / gamma);
}

float ema_filter::update(float x) {
    if (!std::isfinite(x)) return value_;
    if (!primed_) {
        primed_ = true;
        value_ = x;
    } else {
        value_ += alpha_ * (x - value_);
    }
    return value_;
}

}  // namespace solgrid_fw
