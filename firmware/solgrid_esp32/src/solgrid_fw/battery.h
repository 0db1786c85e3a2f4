// Battery and sensor arithmetic for the firmware: pack voltage from the ADC
// through a voltage divider, state of charge from resting voltage by a
// per-chemistry lookup curve (linear between points), a smoothing filter
// against load sag, and lux from an LDR divider. Portable C++17, no Arduino
// headers, no allocation; pure functions, safe anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace solgrid_fw {

struct curve_point {
    float volts;  // pack voltage at rest
    float soc;    // percent
};

// Points in ascending voltage (and SoC).
struct battery_curve {
    const curve_point* points;
    std::size_t count;
};

// 12.8 V LiFePO4 (4 cells in series), resting voltage: flat in the middle,
// so expect ±10 % there; most reliable near full and near empty.
extern const battery_curve lifepo4_4s;
// 12 V flooded / AGM lead-acid, resting voltage.
extern const battery_curve lead_acid_12v;
// 11.1 V Li-ion NMC (3 cells in series), resting voltage.
extern const battery_curve liion_3s;

// SoC in percent for a pack voltage: linear between the curve's points,
// 0 below the first, 100 above the last. An empty curve gives 0.
float soc_from_voltage(const battery_curve& curve, float volts);

// Rounds and clamps to the integer 0..100 the backend requires.
int soc_percent(float soc);

// Volts at the ADC pin for a raw reading (0..adc_max over 0..vref).
float adc_to_volts(std::uint32_t raw, std::uint32_t adc_max, float vref);

// Pack voltage from the voltage at the divider's midpoint:
// pack ─ r_top ─┬─ r_bottom ─ GND, the ADC pin at ┬.
float divider_to_pack_volts(float pin_volts, float r_top_ohm, float r_bottom_ohm);

// Lux from an LDR in a divider: 3V3 ─ LDR ─┬─ r_fixed ─ GND, pin at ┬.
// Uses the LDR's datasheet model R = r10 · (lux / 10)^(−gamma) (GL5528:
// r10 ≈ 10–20 kΩ, gamma ≈ 0.7). Rough (±30 %), but monotonic; 0 in the dark.
float ldr_lux(float pin_volts, float supply_volts, float r_fixed_ohm, float r10_ohm, float gamma);

// Exponential moving average: the first sample primes it.
class ema_filter {
public:
    explicit ema_filter(float alpha) : alpha_(alpha) {}
    float update(float x);
    bool primed() const { return primed_; }
    float value() const { return value_; }

private:
    float alpha_;
    bool primed_ = false;
    float value_ = 0.0f;
};

}  // namespace solgrid_fw
