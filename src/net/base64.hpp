// Base64 (RFC 4648, standard alphabet, padded), by OpenSSL's
// EVP_EncodeBlock/EVP_DecodeBlock. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace solgrid::net {

std::string base64_encode(std::string_view bytes);
// nullopt for a character outside the alphabet (whitespace included, which
// OpenSSL's decoder alone would skip) or a bad length/padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace solgrid::net
