// A Socket.IO namespace: its connection middlewares and callback, its
// adapter (rooms <-> socket ids), broadcasts encoded once for every
// recipient, and the bounded replay buffer and persisted sessions behind
// connection-state recovery. Set up (use, on_connection) before the server
// starts; everything else may be called from any thread — one mutex guards
// the adapter and the recovery state, is never held while calling
// application code, and never across a broadcast's writes (the targets are
// snapshotted under it, then written to). Broadcasts from one thread reach
// each client in the order they were emitted; the app emits from one strand.
#pragma once

#include "socketio/adapter.hpp"
#include "socketio/cluster.hpp"
#include "socketio/socket.hpp"

#include <deque>
#include <mutex>

namespace solgrid::socketio {

struct recovery_options {
    std::chrono::milliseconds window{0};  // 0: recovery off
    std::size_t max_packets = 10000;       // replay buffer bound
};

class namespace_ {
public:
    // A CONNECT middleware: may refuse (the client gets CONNECT_ERROR with
    // the message and data) or attach an identity (socket::set_identity);
    // runs on the client's strand, in order, until one refuses.
    using middleware = std::function<std::optional<connect_error>(socket& s)>;
    using connection_handler = std::function<void(const socket_ptr&)>;

    namespace_(std::string name, recovery_options recovery) : name_(std::move(name)), recovery_(recovery) {}

    const std::string& name() const { return name_; }
    void use(middleware m) { middlewares_.push_back(std::move(m)); }
    void on_connection(connection_handler h) { on_connection_ = std::move(h); }

    // Broadcasts to every socket (in `rooms` if any, not in `except`).
    void emit(std::string_view event, payload args, const std::vector<std::string>& rooms = {},
              const std::vector<std::string>& except = {});

    class broadcast_operator {
    public:
        explicit broadcast_operator(namespace_& ns) : ns_(ns) {}
        broadcast_operator& to(std::string room) { return rooms_.push_back(std::move(room)), *this; }
        broadcast_operator& except(std::string room) { return except_.push_back(std::move(room)), *this; }
        void emit(std::string_view event, payload args) { ns_.emit(event, std::move(args), rooms_, except_); }

    private:
        namespace_& ns_;
        std::vector<std::string> rooms_, except_;
    };
    broadcast_operator to(std::string room) { return broadcast_operator(*this).to(std::move(room)); }
    broadcast_operator except(std::string room) { return broadcast_operator(*this).except(std::move(room)); }

    // --- a cluster (set before serving; docs/scale-out.md). With one, a
    // broadcast goes to the cluster first and reaches this instance's
    // clients through deliver(), in the cluster's order, carrying the
    // cluster's offset; recovery sessions are the cluster's.
    void set_cluster(cluster_link* c) { cluster_ = c; }
    cluster_link* cluster() const { return cluster_; }
    // A broadcast as the cluster ordered it (any thread, in that order):
    // to this instance's sockets, with `offset` (nullopt: it could not be
    // stored, so it carries none). A socket already sent that offset (a
    // recovered one, see add()) does not get it twice.
    void deliver(const cluster_broadcast& b, std::optional<offset_key> offset);
    // The cluster has read up to `k` (entries of any kind): a socket that
    // joins now has nothing at or before it to get.
    void seen(offset_key k) {
        std::lock_guard lock(mutex_);
        if (last_ < k) last_ = k;
    }
    // Room changes and disconnects another instance asked for, applied to
    // the sockets in `rooms` (all if empty) and in none of `except`.
    void apply_remote_join(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                           const std::vector<std::string>& join);
    void apply_remote_leave(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                            const std::vector<std::string>& leave);
    void apply_remote_disconnect(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                                 bool close);
    // The wire text of an offset ("12" alone, "1700000000000-3" in a cluster).
    std::string offset_text(offset_key k) const { return cluster_ ? to_stream_id(k) : std::to_string(k.major); }

    std::size_t socket_count() const;
    std::vector<std::string> socket_ids_in(const std::string& room) const;

    // Rooms by socket id (socket::join, leave, rooms); any thread.
    void join(const std::string& sid, const std::string& room);
    void leave(const std::string& sid, const std::string& room);
    std::set<std::string> rooms_of(const std::string& sid) const;

    // --- the CONNECT flow: socketio::server only, on the client's strand.
    struct restored {
        std::string sid;
        std::string pid;
        std::set<std::string> rooms;
        boost::json::object data;
        offset_key from;           // it missed the broadcasts after this offset
        bool offset_sent = false;  // its client holds an offset of ours
        // In a cluster: what it missed as the cluster found it (encoded,
        // offset order) and the newest of their offsets.
        std::vector<std::vector<engineio::outgoing_ptr>> missed;
        offset_key missed_upto;
    };
    bool recovery_enabled() const { return recovery_.window.count() > 0; }
    std::optional<connect_error> run_middlewares(socket& s) const;
    // The persisted session of `pid`, to replay from `offset` (or from the
    // newest offset queued to it); nullopt if it cannot recover.
    std::optional<restored> restore(const std::string& pid, const std::optional<std::string>& offset);
    // The same from what a cluster found (cluster_link::restore).
    restored adopt(cluster_restore&& r) const;
    // Into the adapter (in the rooms of `r`, if it recovered); then, under
    // the same lock, `greet` (the CONNECT reply) and what `r` missed are
    // queued to it, so no broadcast can reach it ahead of them or fall
    // between what it missed and what it gets live.
    void add(const socket_ptr& s, const restored* r, const std::function<void()>& greet);
    // Out of the adapter; with `persist` (and recovery on), remembered for
    // a recovery within the window.
    void remove(const socket& s, bool persist);
    // In a cluster with recovery on: hands the socket's session to the
    // cluster now (after its connection handler ran), and again whenever
    // its rooms change.
    void track(socket& s);
    void connected(const socket_ptr& s) const {
        if (on_connection_) on_connection_(s);
    }

private:
    void expire_locked(std::chrono::steady_clock::time_point now);
    // Writes one encoded broadcast to the sockets it reaches; `offset`:
    // nullopt takes the next local one (recovery on, no cluster) or none.
    void broadcast_local(const std::vector<engineio::outgoing_ptr>& plain, const std::vector<std::string>& rooms,
                         const std::vector<std::string>& except, std::optional<offset_key> offset, bool from_cluster);
    std::vector<engineio::outgoing_ptr> with_offset(const std::vector<engineio::outgoing_ptr>& plain,
                                                    offset_key k) const;
    void retrack(const std::string& sid);
    void apply_remote(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                      const std::function<void(const std::string& sid, socket* owner)>& f);

    std::string name_;
    recovery_options recovery_;
    cluster_link* cluster_ = nullptr;
    std::vector<middleware> middlewares_;
    connection_handler on_connection_;

    mutable std::mutex mutex_;
    adapter adapter_;

    // connection-state recovery, under mutex_
    struct stored_packet {
        offset_key seq;
        std::chrono::steady_clock::time_point at;
        std::vector<engineio::outgoing_ptr> wire;
        std::vector<std::string> rooms, except;
    };
    struct persisted_session {
        std::string sid;
        std::set<std::string> rooms;
        boost::json::object data;
        offset_key seq;     // the newest offset queued to it before it dropped
        bool offset_sent;   // an offset reached it: the one its client reports is ours
        std::chrono::steady_clock::time_point at;
    };
    std::deque<stored_packet> replay_;
    std::uint64_t seq_ = 0;           // local offsets handed out (no cluster)
    offset_key last_;                 // the newest offset delivered here
    offset_key evicted_upto_;         // packets with offsets <= this are gone
    std::unordered_map<std::string, persisted_session> persisted_;
    std::chrono::steady_clock::time_point last_sweep_{};

    // broadcast rate (under mutex_): events in the current 100 ms window
    static constexpr int burst_threshold = 20;  // > 200 events/s counts as a burst
    std::chrono::steady_clock::time_point window_start_{};
    int window_events_ = 0;
    bool busy_ = false;
};

}  // namespace solgrid::socketio
