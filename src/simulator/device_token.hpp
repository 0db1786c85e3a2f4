// The device token `solgrid simulate` sends with each sensor post
// (`Authorization: Bearer <token>`, from --token or SIM_TOKEN), and the
// sentence it logs when the server refuses a post for its credentials or
// its rate. Pure functions; any thread.
#pragma once

#include "device/http_client.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace solgrid::simulator {

// "" when `token` can be sent as a Bearer token (token68 characters, at most
// 512), else a sentence saying why not.
std::string check_token(std::string_view token);

// The header fields of a sensor post: Authorization when a token is set.
device::header_list post_headers(const std::string& token);

// For a post answered 401, 403 or 429: what to tell the person running the
// simulator, with the server's own "error" text when the reply has one.
// nullopt for any other status.
std::optional<std::string> refusal(unsigned status, std::string_view reply_body, bool has_token);

}  // namespace solgrid::simulator
