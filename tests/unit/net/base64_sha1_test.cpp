// Base64 (RFC 4648 §10 vectors, hostile input, what OpenSSL's decoder would
// let through) and SHA-1 (FIPS 180 / RFC 3174 vectors and the padding
// boundaries).
#include "net/base64.hpp"
#include "net/sha1.hpp"

#include <gtest/gtest.h>

#include <cstdio>

using solgrid::net::base64_decode;
using solgrid::net::base64_encode;
using solgrid::net::sha1;

namespace {

std::string hex(const std::array<unsigned char, 20>& d) {
    std::string s;
    char b[3];
    for (auto c : d) {
        std::snprintf(b, sizeof b, "%02x", c);
        s += b;
    }
    return s;
}

}  // namespace

TEST(Base64, Rfc4648Vectors) {
    const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                     {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                     {"foobar", "Zm9vYmFy"}};
    for (auto [plain, coded] : v) {
        EXPECT_EQ(base64_encode(plain), coded) << plain;
        auto back = base64_decode(coded);
        ASSERT_TRUE(back) << coded;
        EXPECT_EQ(*back, plain);
    }
}

TEST(Base64, EveryByteValueRoundTrips) {
    for (std::size_t len = 0; len < 260; ++len) {
        std::string bytes;
        for (std::size_t i = 0; i < len; ++i) bytes += static_cast<char>((i * 37 + len) & 0xff);
        auto coded = base64_encode(bytes);
        EXPECT_EQ(coded.size(), (len + 2) / 3 * 4);
        auto back = base64_decode(coded);
        ASSERT_TRUE(back) << len;
        EXPECT_EQ(*back, bytes) << len;
    }
    EXPECT_EQ(base64_encode(std::string("\xff\xfe\xfd", 3)), "//79");
    EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Base64, RejectsMalformedText) {
    for (const char* bad : {"Z", "Zg", "Zg=", "Zm9vY", "Zg=a", "=Zg=", "Z===", "====", "Zg==Zg==", "Zm9v\n",
                            "Zm9v Zg==", "Zm-v", "Zm_v", "Zm9!", "Zm9v====", "Z=g="}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
    EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)));
    EXPECT_FALSE(base64_decode("Zm9\xc3\xa9"));
    EXPECT_FALSE(base64_decode("\xff\xff\xff\xff"));
}

// OpenSSL's EVP_DecodeBlock alone skips whitespace around the text and
// decodes '=' as zero bits; none of that may get through.
TEST(Base64, RejectsWhatOpenSslsDecoderWouldSkip) {
    for (const char* bad : {"    Zm9v", "Zm9v    ", "\tZm9", "Zm9\t", "Zm9v\r\n\r\n", "\r\nZg=", "Zg==\n\n\n\n",
                            "Zg==    ", "  Zg", "=Zm9", "==Zm", "Zm9v===="}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
    EXPECT_FALSE(base64_decode(std::string("Zm9v\0\0\0\0", 8)));
    // Padding is not decoded as bytes.
    EXPECT_EQ(base64_decode("Zg==").value_or("?"), "f");
    EXPECT_EQ(base64_decode("Zm8=").value_or("?"), "fo");
    EXPECT_EQ(base64_decode("").value_or("?"), "");
}

TEST(Sha1, FipsVectors) {
    EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_EQ(hex(sha1("The quick brown fox jumps over the lazy dog")), "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
    EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, PaddingBoundaries) {
    // 55/56 bytes: the length still fits in / spills out of the last block.
    const std::pair<std::size_t, const char*> v[] = {{55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
                                                     {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
                                                     {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
                                                     {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
                                                     {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
                                                     {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
                                                     {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"}};
    for (auto [n, want] : v) EXPECT_EQ(hex(sha1(std::string(n, 'a'))), want) << n;
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    EXPECT_EQ(hex(sha1(all)), "4916d6bdb7f78e6803698cab32d1586ea457dfc8");
}
