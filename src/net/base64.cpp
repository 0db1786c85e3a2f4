#include "net/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace solgrid::net {
namespace {

// EVP_*Block take int lengths: work in slices well below INT_MAX, whole
// 3-byte (encode) or 4-character (decode) groups each.
constexpr std::size_t encode_slice = 3 * (1 << 20);
constexpr std::size_t decode_slice = 4 * (1 << 20);

bool in_alphabet(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::string base64_encode(std::string_view in) {
    std::string out((in.size() + 2) / 3 * 4 + 1, '\0');  // + the NUL EVP_EncodeBlock writes
    std::size_t written = 0;
    for (std::size_t at = 0; at < in.size(); at += encode_slice) {
        auto n = std::min(encode_slice, in.size() - at);
        written += static_cast<std::size_t>(
            EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                            reinterpret_cast<const unsigned char*>(in.data() + at), static_cast<int>(n)));
    }
    out.resize(written);
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    // EVP_DecodeBlock skips leading and trailing whitespace and decodes '='
    // as zero bits, so the strict shape is checked here: whole groups of
    // four, only the alphabet, '=' only as the last one or two characters.
    if (in.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    if (!in.empty() && in.back() == '=') pad = in[in.size() - 2] == '=' ? 2 : 1;
    if (!std::all_of(in.begin(), in.end() - static_cast<std::ptrdiff_t>(pad), in_alphabet)) return std::nullopt;

    std::string out(in.size() / 4 * 3, '\0');
    std::size_t written = 0;
    for (std::size_t at = 0; at < in.size(); at += decode_slice) {
        auto n = std::min(decode_slice, in.size() - at);
        int got = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                                  reinterpret_cast<const unsigned char*>(in.data() + at), static_cast<int>(n));
        if (got < 0) return std::nullopt;
        written += static_cast<std::size_t>(got);
    }
    // EVP_DecodeBlock counts the padding as decoded zero bytes.
    out.resize(written - pad);
    return out;
}

}  // namespace solgrid::net
