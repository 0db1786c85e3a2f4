// Base64 (RFC 4648, standard alphabet, padded). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace solgrid::net {

std::string base64_encode(std::string_view bytes);
// nullopt for a character outside the alphabet or a bad length/padding.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace solgrid::net
