// Engine.IO's errors as a boost::system error enum with its own category
// (as Beast's websocket/error.hpp does), and the one mapping from an error
// to what the protocol answers over HTTP: a status and a JSON body
// {"code":N,"message":…} with the codes the protocol lists (0–5). Every
// failed Engine.IO request is answered through to_http(); pure, any thread.
#pragma once

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace solgrid::engineio {

enum class error {
    // The protocol's codes, in its order (the value is the body's "code").
    unknown_transport = 0,
    unknown_sid = 1,  // no such session, or it closed meanwhile
    bad_handshake_method = 2,
    bad_request = 3,  // malformed query or payload, a request the session's state refuses
    forbidden = 4,    // origin not allowed
    unsupported_protocol_version = 5,
    // Ours: a POST body over max_payload (413, reported as a bad request).
    payload_too_large = 100,
    // Ours: a WebSocket for a session that already has one (accepted, then
    // closed at once, as the reference server does; never an HTTP answer).
    already_upgraded = 101,
};

const boost::system::error_category& error_category();

inline boost::system::error_code make_error_code(error e) {
    return {static_cast<int>(e), error_category()};
}

// What a failed request is answered with.
struct http_error {
    unsigned status;          // 400, 403, 413
    int code;                 // the body's "code" (0–5)
    std::string_view message; // the body's "message"
};
http_error to_http(error e);

}  // namespace solgrid::engineio

template <>
struct boost::system::is_error_code_enum<solgrid::engineio::error> : std::true_type {};
