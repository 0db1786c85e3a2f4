#include "net/sha1.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace solgrid::net {

std::array<unsigned char, 20> sha1(std::string_view data) {
    std::array<unsigned char, 20> out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr) != 1 || len != out.size())
        throw std::runtime_error("OpenSSL could not compute SHA-1");
    return out;
}

}  // namespace solgrid::net
