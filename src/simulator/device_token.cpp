#include "simulator/device_token.hpp"

#include "http/credentials.hpp"

#include <boost/json/parse.hpp>

namespace solgrid::simulator {
namespace {

// The "error" of a {"success":false,"error":…} reply, else the start of the body.
std::string server_says(std::string_view body) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(body, ec);
    if (!ec && doc.is_object())
        if (const auto* e = doc.as_object().if_contains("error"); e && e->is_string())
            return std::string(e->get_string());
    return std::string(body.substr(0, 200));
}

}  // namespace

std::string check_token(std::string_view token) {
    if (token.size() > http_api::max_bearer_token)
        return "is longer than " + std::to_string(http_api::max_bearer_token) + " characters";
    if (!http_api::bearer_token("Bearer " + std::string(token)))
        return "must be a token as `solgrid device add` prints it (letters, digits, - . _ ~ + /)";
    return {};
}

device::header_list post_headers(const std::string& token) {
    device::header_list h;
    if (!token.empty()) h.emplace_back(boost::beast::http::field::authorization, "Bearer " + token);
    return h;
}

std::optional<std::string> refusal(unsigned status, std::string_view reply_body, bool has_token) {
    std::string why = "HTTP " + std::to_string(status);
    if (auto said = server_says(reply_body); !said.empty()) why += " " + said;
    switch (status) {
        case 401:
            if (!has_token)
                return "the server wants a device token (" + why +
                       "); create one with `solgrid device add NAME` and pass it with --token or SIM_TOKEN";
            return "the server refused the device token: " + why +
                   " (revoked or mistyped? `solgrid device list` shows the devices)";
        case 403:
            return "the server refused the device token: " + why;
        case 429:
            return "the server refused the device token: " + why + " (too many posts; lower the rate with --interval)";
        default:
            return std::nullopt;
    }
}

}  // namespace solgrid::simulator
