// The seam between a namespace and the other servers of a cluster (issue 15;
// docs/scale-out.md): what a broadcast, a room change or a recovery session
// is when it crosses instances, and the port a cluster implementation
// (redis/streams_adapter.hpp, speaking @socket.io/redis-streams-adapter's
// format) provides. socketio/ owns this interface and knows no Redis; the
// implementation calls back into namespace_ (deliver, apply_remote_*).
#pragma once

#include "socketio/types.hpp"

#include <compare>
#include <cstdint>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::socketio {

class namespace_;

// A recovery offset in order: one instance counts broadcasts ({seq, 0},
// written "seq"); a cluster uses the shared stream's entry ids ("ms-seq").
struct offset_key {
    std::uint64_t major = 0, minor = 0;
    auto operator<=>(const offset_key&) const = default;
    bool empty() const { return major == 0 && minor == 0; }
};
// "1700000000000-3" (a Redis stream id); nullopt unless both parts are
// decimal numbers that fit 64 bits.
std::optional<offset_key> parse_stream_id(std::string_view text);
std::string to_stream_id(offset_key k);

// A broadcast between instances: socket.io's EVENT data ([event, ...args],
// binary arguments as placeholders into `attachments`) and who it is for.
struct cluster_broadcast {
    boost::json::array data;
    std::vector<std::string> attachments;
    std::vector<std::string> rooms, except;
};

// A dropped socket as another instance must know it to let it recover
// (the adapter's session: sid, pid, rooms with its own id, data), plus the
// newest offset queued to it and whether one reached its client (see
// namespace_::restore).
struct cluster_session {
    std::string sid, pid;
    std::set<std::string> rooms;
    boost::json::object data;
    std::optional<offset_key> last;  // newest offset queued to it
    bool offset_sent = false;
};

// What a cluster found for a reconnecting client: its session, the offset
// it resumes after, and what it missed since (in offset order).
struct cluster_restore {
    cluster_session session;
    offset_key from;
    std::vector<std::pair<offset_key, cluster_broadcast>> missed;
};

// The cluster as a namespace sees it. Thread-safe; never calls back into
// the namespace synchronously from publish()/persist()/restore().
class cluster_link {
public:
    virtual ~cluster_link() = default;
    // Hands a broadcast over. True: it reaches this instance's own clients
    // through namespace_::deliver() (with its offset once the cluster has
    // stored it, or without one if it could not be published). False: the
    // cluster cannot take it now; the namespace delivers it itself.
    virtual bool publish(namespace_& ns, cluster_broadcast b) = 0;
    // A connected socket's session as it stands (at connect, and after its
    // rooms change), kept while this instance lives: if the instance dies
    // without a word, its clients can still recover on another one.
    virtual void track(namespace_& ns, cluster_session s) = 0;
    // The socket left for good (not a drop): no recovery.
    virtual void untrack(namespace_& ns, const std::string& pid) = 0;
    // Stores a dropped socket's session for the recovery window.
    virtual void persist(namespace_& ns, cluster_session s) = 0;
    // Looks up session `pid` (consuming it) and what it missed after
    // `offset` (the client's, if it sent a well-formed one). `done` is
    // called once, on any thread: nullopt if it cannot recover.
    virtual void restore(namespace_& ns, std::string pid, std::optional<std::string> offset,
                         std::function<void(std::optional<cluster_restore>)> done) = 0;
};

}  // namespace solgrid::socketio
