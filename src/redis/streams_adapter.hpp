// solgrid's side of @socket.io/redis-streams-adapter (issue 15;
// docs/scale-out.md): the cluster_link of socketio/cluster.hpp over one Redis
// stream, so solgrid instances and Node socket.io servers using that adapter
// deliver each other's broadcasts.
//
// - Broadcasts are XADDed (`XADD <stream> MAXLEN ~ <n> * uid nsp type data`)
//   by one publishing connection, in order, pipelined. This instance's own
//   clients get them back from the reading connection (XREAD BLOCK from the
//   last id read) like every other entry: one order for everything, and the
//   entry id is the recovery offset on every instance.
// - Entries of other servers: BROADCAST (3) to the local sockets (rooms,
//   except, binary attachments), SOCKETS_JOIN/LEAVE/DISCONNECT (4/5/6)
//   applied; an INITIAL_HEARTBEAT (1) is answered with a HEARTBEAT (2), and
//   heartbeats go out every 5 s, for 0.2.x nodes that count servers.
// - Recovery sessions: `SET <prefix><pid> base64(msgpack) PX <window>` when
//   a socket drops; on reconnection MULTI/GET/DEL/EXEC and XRANGE as the
//   adapter does, from any instance.
// - Redis down: publish() says no and the namespace delivers locally
//   (without offsets); queued XADDs that fail are delivered locally too.
//   Both connections reconnect with backoff (redis::client logs each change);
//   the reader resumes from the last id it read.
//
// Why our own RESP client (redis/connection.hpp) and not hiredis: see there.
// Runs on one strand; publish/persist/restore may be called from any thread.
#pragma once

#include "redis/client.hpp"
#include "socketio/cluster.hpp"

#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>

namespace solgrid::socketio {
class namespace_;
}

namespace solgrid::redis {

struct streams_options {
    endpoint where;
    std::string stream = "socket.io";  // REDIS_STREAM
    std::size_t max_len = 10000;        // REDIS_STREAM_MAXLEN: XADD MAXLEN ~
    std::string session_prefix = "sio:session:";
    std::chrono::milliseconds recovery_window{120000};  // session expiry (PX)
    std::size_t max_missed = 10000;                      // entries one recovery replays at most
    std::chrono::milliseconds block{5000};               // XREAD BLOCK
    std::size_t read_count = 100;                        // XREAD COUNT
    std::chrono::milliseconds heartbeat{5000};
    std::size_t max_queue = 10000;                       // publishes waiting for Redis
};

class streams_adapter final : public socketio::cluster_link, public std::enable_shared_from_this<streams_adapter> {
public:
    static std::shared_ptr<streams_adapter> create(boost::asio::any_io_executor ex, streams_options opts);

    // Before start(): the namespaces it serves (each gets its own uid and
    // is set to use this adapter).
    void attach(socketio::namespace_& ns);
    void start();
    // Writes what is queued (the sessions of clients just closed; at most
    // ~1 s), says goodbye (ADAPTER_CLOSE) if it can, and closes both
    // connections. Any thread.
    boost::asio::awaitable<void> shutdown();

    // Both connections up and the reader in place.
    bool connected() const { return pub_->connected() && sub_->connected() && ready_; }
    struct counters {
        std::uint64_t published = 0;         // entries XADDed
        std::uint64_t publish_failures = 0;  // broadcasts delivered locally only (Redis down or refused)
        std::uint64_t received = 0;          // entries of other servers applied
        std::uint64_t malformed = 0;         // entries skipped as unreadable
        std::uint64_t sessions_stored = 0, sessions_restored = 0;
    };
    counters stats() const;

    // cluster_link
    bool publish(socketio::namespace_& ns, socketio::cluster_broadcast b) override;
    void track(socketio::namespace_& ns, socketio::cluster_session s) override;
    void untrack(socketio::namespace_& ns, const std::string& pid) override;
    void persist(socketio::namespace_& ns, socketio::cluster_session s) override;
    void restore(socketio::namespace_& ns, std::string pid, std::optional<std::string> offset,
                 std::function<void(std::optional<socketio::cluster_restore>)> done) override;

private:
    streams_adapter(boost::asio::any_io_executor ex, streams_options opts);

    struct attached {
        socketio::namespace_* ns;
        std::string uid;
    };
    // One command for the publishing connection: an XADD of `type` (with
    // `broadcast`'s data for a BROADCAST), or `command` as it is.
    struct job {
        attached* to = nullptr;
        int type = 3;
        std::optional<socketio::cluster_broadcast> broadcast;
        std::vector<std::string> command;
        bool session = false;  // a session stored (counted)
    };
    attached* find(socketio::namespace_& ns);
    attached* find(const std::string& nsp);
    bool enqueue(job j);
    boost::asio::awaitable<void> publish_loop();
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> heartbeat_loop();
    boost::asio::awaitable<void> restore_on_strand(socketio::namespace_* ns, std::string pid,
                                                   std::optional<std::string> offset,
                                                   std::function<void(std::optional<socketio::cluster_restore>)> done);
    boost::asio::awaitable<std::optional<socketio::cluster_restore>> find_session(socketio::namespace_* ns,
                                                                                    std::string pid,
                                                                                    std::optional<std::string> offset);
    void apply(const std::string& id, const std::vector<std::pair<std::string, std::string>>& fields);
    std::vector<std::string> xadd_args(const attached& a, int type, const std::string* data) const;

    boost::asio::strand<boost::asio::any_io_executor> ex_;
    streams_options opts_;
    std::shared_ptr<client> pub_, sub_;
    std::vector<std::unique_ptr<attached>> namespaces_;
    boost::asio::steady_timer wake_, heartbeat_timer_;
    std::atomic<bool> ready_{false}, stopping_{false};
    std::atomic<bool> wake_posted_{false};
    std::string last_id_;  // the reader's position (strand)
    // Live sessions: a hash of this instance's connected sockets (pid →
    // session) whose expiry is renewed with every heartbeat, so it outlives
    // a crash by the recovery window; its name is kept in a set that
    // restore() searches.
    std::string live_key_, live_set_;

    mutable std::mutex mutex_;
    std::deque<job> queue_;
    counters counts_;
};

}  // namespace solgrid::redis
