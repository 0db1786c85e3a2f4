#include "solgrid_fw/battery.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace solgrid_fw;

TEST(FirmwareBattery, InterpolatesBetweenCurvePoints) {
    EXPECT_FLOAT_EQ(soc_from_voltage(lifepo4_4s, 13.10f), 40.0f);
    EXPECT_NEAR(soc_from_voltage(lifepo4_4s, 13.15f), 55.0f, 0.01f);  // halfway from 40 % to 70 %
    EXPECT_NEAR(soc_from_voltage(lead_acid_12v, 12.17f), 55.0f, 0.01f);
    EXPECT_FLOAT_EQ(soc_from_voltage(liion_3s, 11.46f), 50.0f);
}

TEST(FirmwareBattery, ClampsOutsideTheCurve) {
    for (const battery_curve* c : {&lifepo4_4s, &lead_acid_12v, &liion_3s}) {
        EXPECT_EQ(soc_from_voltage(*c, 0.0f), 0.0f);
        EXPECT_EQ(soc_from_voltage(*c, 30.0f), 100.0f);  // charging voltage reads as full
        EXPECT_EQ(soc_from_voltage(*c, NAN), 0.0f);
    }
    EXPECT_EQ(soc_from_voltage(battery_curve{nullptr, 0}, 12.0f), 0.0f);
}

TEST(FirmwareBattery, CurvesRiseMonotonically) {
    for (const battery_curve* c : {&lifepo4_4s, &lead_acid_12v, &liion_3s}) {
        float last = -1;
        for (float v = 8.0f; v <= 15.0f; v += 0.01f) {
            float soc = soc_from_voltage(*c, v);
            EXPECT_GE(soc, last) << v;
            last = soc;
        }
        EXPECT_EQ(last, 100.0f);
    }
}

TEST(FirmwareBattery, SocPercentIsTheBackendsInteger) {
    EXPECT_EQ(soc_percent(54.5f), 55);
    EXPECT_EQ(soc_percent(54.49f), 54);
    EXPECT_EQ(soc_percent(-3.0f), 0);
    EXPECT_EQ(soc_percent(100.4f), 100);
    EXPECT_EQ(soc_percent(NAN), 0);
}

TEST(FirmwareBattery, AdcAndDividerGiveThePackVoltage) {
    EXPECT_FLOAT_EQ(adc_to_volts(4095, 4095, 3.3f), 3.3f);
    EXPECT_FLOAT_EQ(adc_to_volts(0, 4095, 3.3f), 0.0f);
    EXPECT_FLOAT_EQ(adc_to_volts(9999, 4095, 3.3f), 3.3f);  // out-of-range raw clamps
    EXPECT_EQ(adc_to_volts(100, 0, 3.3f), 0.0f);
    // 100 kΩ over 22 kΩ: 13.2 V reads as 2.380 V at the pin.
    float pin = 13.2f * 22000.0f / 122000.0f;
    EXPECT_NEAR(divider_to_pack_volts(pin, 100000.0f, 22000.0f), 13.2f, 1e-4f);
    EXPECT_EQ(divider_to_pack_volts(1.0f, 100000.0f, 0.0f), 0.0f);
}

TEST(FirmwareBattery, LdrLuxRisesWithLightAndIsZeroInTheDark) {
    // 3V3 ─ LDR ─┬─ 10 kΩ ─ GND. At r10 the LDR reads 10 lx by definition.
    float pin_at_10lx = 3.3f * 10000.0f / (10000.0f + 15000.0f);
    EXPECT_NEAR(ldr_lux(pin_at_10lx, 3.3f, 10000.0f, 15000.0f, 0.7f), 10.0f, 0.01f);
    EXPECT_EQ(ldr_lux(0.0f, 3.3f, 10000.0f, 15000.0f, 0.7f), 0.0f);
    float last = 0;
    for (float pin = 0.1f; pin < 3.3f; pin += 0.1f) {
        float lux = ldr_lux(pin, 3.3f, 10000.0f, 15000.0f, 0.7f);
        EXPECT_GT(lux, last) << pin;
        last = lux;
    }
    EXPECT_TRUE(std::isfinite(ldr_lux(3.3f, 3.3f, 10000.0f, 15000.0f, 0.7f)));  // saturated, still finite
}

TEST(FirmwareBattery, FilterSmoothsLoadSag) {
    ema_filter f(0.25f);
    EXPECT_FALSE(f.primed());
    EXPECT_FLOAT_EQ(f.update(13.2f), 13.2f);
    EXPECT_NEAR(f.update(12.8f), 13.1f, 1e-5f);  // a sudden sag moves it a quarter of the way
    EXPECT_NEAR(f.update(NAN), 13.1f, 1e-5f);    // a bad sample is ignored
}
