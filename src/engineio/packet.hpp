// Engine.IO v4 packets and the HTTP long-polling payload format, as pure
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

}  // namespace solgrid::engineio
