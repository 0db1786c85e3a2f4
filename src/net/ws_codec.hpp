// RFC 6455 WebSocket framing for the server side, as a pure codec: an
// incremental parser for client frames (masked; fragmentation, control
// frames, size limit, UTF-8 check) and the header of the unmasked frames the
// server writes. No I/O, so a connection can be driven by any loop and the
// codec unit-tested byte by byte. One parser per connection; not shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::net::ws {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

struct event {
    enum kind { text, binary, ping, pong, close } type;
    std::string data;             // message or control payload (close: reason)
    std::uint16_t code = 0;       // close code, if type == close
};

class frame_parser {
public:
    explicit frame_parser(std::size_t max_message) : max_(max_message) {}

    // Consumes `bytes`; appends each complete event to `out`. Returns 0, or
    // the close code to fail the connection with (then stop feeding).
    std::uint16_t feed(std::string_view bytes, std::vector<event>& out);

    // True when no partial frame or message is buffered.
    bool idle() const { return buf_.empty() && !in_message_; }

private:
    // Parses whole frames from `in`; sets `used` to the bytes consumed.
    std::uint16_t parse(std::string_view in, std::size_t& used, std::vector<event>& out);

    std::size_t max_;
    std::string buf_;        // bytes of an incomplete frame
    std::string message_;    // fragments of a message in progress
    bool in_message_ = false;
    opcode message_op_ = opcode::text;
};

// Writes the header of an unmasked final frame; returns its length (2..10).
std::size_t encode_header(unsigned char out[10], opcode op, std::size_t payload_length);

// A whole unmasked frame (for control frames and tests).
std::string encode_frame(opcode op, std::string_view payload);

// A close frame's payload: the code, big-endian, then the reason.
std::string close_payload(std::uint16_t code, std::string_view reason = {});

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

bool valid_utf8(std::string_view s);

}  // namespace solgrid::net::ws
