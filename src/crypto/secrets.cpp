#include "crypto/secrets.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <mutex>
#include <vector>

namespace solgrid::crypto {

void init() {
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] { ok = sodium_init() >= 0; });
    if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

std::string hash_password(std::string_view password, password_cost cost) {
    init();
    char out[crypto_pwhash_STRBYTES];
    bool cheap = cost == password_cost::minimal;
    if (crypto_pwhash_str(out, password.data(), password.size(),
                          cheap ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          cheap ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw std::runtime_error("password hashing failed (out of memory)");
    return out;
}

bool verify_password(std::string_view stored, std::string_view password) {
    init();
    if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
    std::string z(stored);  // NUL-terminated copy
    return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

std::string random_token(std::string_view prefix, std::size_t bytes) {
    init();
    std::vector<unsigned char> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::char_traits<char>::length(out.c_str()));
    sodium_memzero(raw.data(), raw.size());
    return std::string(prefix) + out;
}

std::string token_hash(std::string_view secret) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    unsigned int len = 0;
    EVP_Digest(secret.data(), secret.size(), digest, &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace solgrid::crypto
