// Engine.IO v4 (and v3) packets and the HTTP long-polling payload format, as pure
// functions (no I/O): a text packet is its type digit then its data; a
// payload joins packets with the record separator \x1e, binary ones as "b"
// + base64. Outgoing packets are immutable and shared, so a broadcast is
// encoded once and queued to every session by pointer. Any thread.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::engineio {

enum class packet_type : char {
    open = '0',
    close = '1',
    ping = '2',
    pong = '3',
    message = '4',
    upgrade = '5',
    noop = '6',
};

// A packet received from a client.
struct packet {
    packet_type type = packet_type::message;
    std::string data;     // after the type digit; raw bytes if binary
    bool binary = false;  // a binary message (type is message)
};

// A packet to send: for text, `data` is the whole packet ("4hello", "2");
// for binary, the raw bytes.
struct outgoing {
    bool binary = false;
    bool framed = false;  // `data` is already WebSocket frame bytes (a send cut short)
    std::string data;
};
using outgoing_ptr = std::shared_ptr<const outgoing>;

outgoing_ptr make_packet(packet_type type, std::string_view data = {});
outgoing_ptr make_binary(std::string bytes);

// One text packet (a WebSocket text message or one payload record).
// nullopt if empty or the type is unknown.
std::optional<packet> decode_text(std::string_view s);

// A polling POST body. nullopt if any record is malformed.
std::optional<std::vector<packet>> decode_payload(std::string_view body);

// A polling GET body from queued packets.
std::string encode_payload(std::span<const outgoing_ptr> packets);

// --- Engine.IO v3 (EIO=3: socket.io-client 2.x, arduinoWebSockets) ---
// Its polling payloads frame each packet as `<length>:<packet>`, the length
// in UTF-16 code units (JavaScript string length), binary as "b4"+base64.

// A v3 polling POST body (text). nullopt if any record is malformed: an
// empty body, a length that is not 1–9 digits, no colon, a length beyond
// the body or not on a character boundary, invalid UTF-8, an empty or
// unknown packet.
std::optional<std::vector<packet>> decode_payload_v3(std::string_view body);

// A v3 polling POST body in the XHR2 binary framing (application/octet-stream):
// per packet a 0 (text) or 1 (binary) byte, the length as digit bytes
// (0–9), 0xFF, then the packet (a binary one with its type byte first).
std::optional<std::vector<packet>> decode_binary_payload_v3(std::string_view body);

// A v3 polling GET body. With `base64` (the client asked b64=1, or nothing
// binary is queued) the text framing; otherwise the XHR2 binary framing.
std::string encode_payload_v3(std::span<const outgoing_ptr> packets, bool base64);
// True if any packet is binary (a v3 client without b64 then gets the binary framing).
bool any_binary(std::span<const outgoing_ptr> packets);

// One v3 text packet (a WebSocket text message): as decode_text(), and
// "b4"+base64 is a binary message (clients without binary support).
std::optional<packet> decode_text_v3(std::string_view s);

// The UTF-16 length of UTF-8 text; nullopt if it is not valid UTF-8.
std::optional<std::size_t> utf16_length(std::string_view utf8);

}  // namespace solgrid::engineio
