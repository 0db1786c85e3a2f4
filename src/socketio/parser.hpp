// Socket.IO v5 packets, as pure functions (no I/O): the text form
// `<type>[<attachments>-][<nsp>,][<ack id>][<json>]`, payload validity as
// the protocol defines it (reserved event names, array shapes), and the
// reassembly of binary packets from their attachments. Any thread.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::socketio {

enum class packet_type : int {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};

struct packet {
    packet_type type = packet_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;           // ack id
    std::optional<boost::json::value> data;    // absent for e.g. "41"
    std::size_t attachments = 0;               // binary packets: count announced
    std::vector<std::string> buffers;          // binary packets: the attachments, in order
};

inline constexpr std::size_t max_attachments = 64;

// Event names a client may not use (they mean something to the library).
bool is_reserved_event(std::string_view name);

struct decode_result {
    std::optional<packet> value;
    std::string error;  // set when value is empty
};

// Decodes the text part of a packet (binary packets then wait for
// `attachments` buffers). Validates the payload shape for the type.
decode_result decode(std::string_view text);

// The text part of a packet; for binary types `attachments` is
// buffers.size() and the buffers follow as separate binary messages.
std::string encode(const packet& p);

// Placeholder {"_placeholder":true,"num":n} for attachment n.
boost::json::value placeholder(std::size_t n);

// True if every placeholder in `v` refers to an attachment below `count`.
bool placeholders_valid(const boost::json::value& v, std::size_t count);

// Collects the binary messages that follow a binary packet.
class reassembler {
public:
    // Takes a decoded packet if it awaits buffers (then returns false);
    // returns true, leaving `p` alone, if it is complete as it is.
    bool start(packet& p);
    // Adds one buffer; returns the complete packet once all have arrived.
    std::optional<packet> add(std::string buffer);
    bool waiting() const { return pending_ != nullptr; }
    void reset() { pending_.reset(); }

private:
    std::unique_ptr<packet> pending_;  // held only between a binary packet and its buffers
};

}  // namespace solgrid::socketio
