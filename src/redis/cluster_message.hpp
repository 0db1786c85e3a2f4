// The messages of @socket.io/redis-streams-adapter as they sit in the Redis
// stream (docs/scale-out.md, "Wire format"): entry fields uid/nsp/type/data,
// `data` as JSON or, when it holds binary, base64 of MessagePack; and the
// recovery session `base64(msgpack({sid, pid, rooms, data}))`. Binary values
// become socket.io attachments ({"_placeholder":true,"num":n}) on the way in
// and go back to MessagePack bin on the way out. Pure functions on hostile
// bytes (any thread): every malformed entry is an error value, never a throw.
#pragma once

#include "socketio/cluster.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace solgrid::redis::cluster {

// socket.io-adapter's ClusterAdapter message types.
enum class message_type : int {
    initial_heartbeat = 1,
    heartbeat = 2,
    broadcast = 3,
    sockets_join = 4,
    sockets_leave = 5,
    disconnect_sockets = 6,
    fetch_sockets = 7,
    fetch_sockets_response = 8,
    server_side_emit = 9,
    server_side_emit_response = 10,
    broadcast_client_count = 11,
    broadcast_ack = 12,
    adapter_close = 13,
};

// One stream entry, decoded.
struct message {
    std::string uid;
    std::string nsp;
    int type = 0;
    // `data` (an object; {} when the entry has none), binary values as
    // placeholders into `attachments`.
    boost::json::object data;
    std::vector<std::string> attachments;
};

using fields = std::vector<std::pair<std::string, std::string>>;

// An entry's field/value pairs → a message, or why not.
std::variant<message, std::string> decode_entry(const fields& f);

// The `data` field for `data` (placeholders resolved from `attachments`):
// JSON when there are no attachments, else base64 of MessagePack.
std::string encode_data(const boost::json::object& data, const std::vector<std::string>& attachments);

// What `opts` ({rooms, except, flags}) says.
struct options {
    std::vector<std::string> rooms, except;
    bool is_volatile = false, local = false;
};
std::optional<options> decode_options(const boost::json::value* opts);

// A BROADCAST message's data → the broadcast (nullopt: not an EVENT
// packet, or malformed), and the data for one we publish.
struct broadcast_in {
    socketio::cluster_broadcast b;
    bool is_volatile = false;
    bool wants_ack = false;  // it carries a requestId (acks do not cross to solgrid)
};
std::optional<broadcast_in> decode_broadcast(message&& m);
boost::json::object broadcast_data(const socketio::cluster_broadcast& b);

// Recovery sessions. solgrid adds its own fields under "solgrid" (the
// newest offset queued and whether one reached the client); Node's adapter
// ignores them, and sessions Node stored lack them.
std::string encode_session(const socketio::cluster_session& s);
std::optional<socketio::cluster_session> decode_session(std::string_view text);

// 16 lowercase hex characters from the kernel's CSPRNG (an adapter's uid).
std::string random_uid();

}  // namespace solgrid::redis::cluster
