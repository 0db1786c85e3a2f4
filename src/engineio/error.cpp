#include "engineio/error.hpp"

namespace solgrid::engineio {
namespace {

std::string_view text(error e) {
    switch (e) {
    case error::unknown_transport: return "Transport unknown";
    case error::unknown_sid: return "Session ID unknown";
    case error::bad_handshake_method: return "Bad handshake method";
    case error::bad_request: return "Bad request";
    case error::forbidden: return "Forbidden";
    case error::unsupported_protocol_version: return "Unsupported protocol version";
    case error::payload_too_large: return "Payload too large";
    case error::already_upgraded: return "Session already upgraded";
    }
    return "Bad request";
}

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "engine.io"; }
    std::string message(int ev) const override { return std::string(text(static_cast<error>(ev))); }
};

}  // namespace

const boost::system::error_category& error_category() {
    static const category c;
    return c;
}

http_error to_http(error e) {
    switch (e) {
    case error::forbidden: return {403, 4, text(e)};
    case error::payload_too_large: return {413, static_cast<int>(error::bad_request), text(e)};
    case error::already_upgraded: return {400, static_cast<int>(error::bad_request), text(error::bad_request)};
    default: return {400, static_cast<int>(e), text(e)};
    }
}

}  // namespace solgrid::engineio
