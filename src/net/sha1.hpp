// SHA-1, only for the WebSocket handshake's Sec-WebSocket-Accept (RFC 6455
// §4.2.2), where the protocol fixes it. OpenSSL's EVP digest; pure, any
// thread. Throws std::runtime_error only if OpenSSL cannot provide SHA-1 at
// all (a broken install or a provider configuration without it).
#pragma once

#include <array>
#include <string_view>

namespace solgrid::net {

std::array<unsigned char, 20> sha1(std::string_view data);

}  // namespace solgrid::net
