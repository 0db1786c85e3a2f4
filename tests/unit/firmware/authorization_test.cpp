// The device token header the firmware adds to its sensor posts
// (SOLGRID_DEVICE_TOKEN in config.h).
#include "solgrid_fw/protocol.h"

#include "../../../firmware/solgrid_esp32/config.h"

#include <gtest/gtest.h>

#include <string>

using namespace solgrid_fw;

TEST(FirmwareAuthorization, BuildsTheBearerHeader) {
    char buf[max_device_token + 8];
    int n = build_authorization(buf, sizeof buf, "sgd_AbC-123_x.y~z+/==");
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "Bearer sgd_AbC-123_x.y~z+/==");
    EXPECT_EQ(buf[n], '\0');
}

TEST(FirmwareAuthorization, NoTokenMeansNoHeader) {
    char buf[64] = "junk";
    EXPECT_EQ(build_authorization(buf, sizeof buf, ""), 0);
    EXPECT_STREQ(buf, "");
    EXPECT_EQ(build_authorization(buf, sizeof buf, nullptr), 0);
    // The shipped config sends none until a token is filled in.
    EXPECT_EQ(build_authorization(buf, sizeof buf, SOLGRID_DEVICE_TOKEN), 0);
}

TEST(FirmwareAuthorization, RefusesTokensTheServerWouldNot) {
    char buf[max_device_token + 8];
    for (const char* bad : {"two words", "abc\r\nX-Injected: 1", "a,b", "=abc", "a=b", "caf\xc3\xa9"})
        EXPECT_EQ(build_authorization(buf, sizeof buf, bad), -1) << bad;
    std::string longest(max_device_token, 'a');
    EXPECT_EQ(build_authorization(buf, sizeof buf, longest.c_str()), static_cast<int>(7 + max_device_token));
    std::string too_long(max_device_token + 1, 'a');
    EXPECT_EQ(build_authorization(buf, sizeof buf, too_long.c_str()), -1);
}

TEST(FirmwareAuthorization, ReportsWhenTheBufferIsTooSmall) {
    char small[10];
    EXPECT_EQ(build_authorization(small, sizeof small, "sgd_abcdefgh"), -1);
    EXPECT_EQ(build_authorization(nullptr, 0, "sgd_abc"), -1);
}
