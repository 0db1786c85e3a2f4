#include "solgrid_fw/watchdog.h"

#include <gtest/gtest.h>

using namespace solgrid_fw;

TEST(FirmwareWatchdog, TripsOnceAfterTheTimeout) {
    backend_watchdog w(60000);
    w.start(1000);
    EXPECT_FALSE(w.should_trip(60999));
    EXPECT_TRUE(w.should_trip(61000));
    EXPECT_TRUE(w.tripped());
    EXPECT_FALSE(w.should_trip(62000));  // relays are already off: say it once
    EXPECT_FALSE(w.should_trip(900000));
}

TEST(FirmwareWatchdog, HearingFromTheBackendResetsIt) {
    backend_watchdog w(10000);
    w.start(0);
    w.heard(9000);
    EXPECT_FALSE(w.should_trip(18999));
    EXPECT_TRUE(w.should_trip(19000));
    w.heard(20000);
    EXPECT_FALSE(w.tripped());
    EXPECT_EQ(w.silent_ms(25000), 5000u);
    EXPECT_TRUE(w.should_trip(30000));  // and it can trip again after another silence
}

TEST(FirmwareWatchdog, SurvivesTheMillisWrap) {
    backend_watchdog w(10000);
    w.start(0xFFFFF000u);  // 4 s before millis() wraps to 0
    EXPECT_FALSE(w.should_trip(0x00000100u));  // 4.35 s later, after the wrap
    EXPECT_FALSE(w.should_trip(5903u));         // 9.999 s
    EXPECT_TRUE(w.should_trip(5904u));          // 10 s
}

TEST(FirmwareWatchdog, ZeroDisablesIt) {
    backend_watchdog w(0);
    w.start(0);
    EXPECT_FALSE(w.should_trip(0xFFFFFFFFu));
}
