// One Engine.IO v4 session (a "sid"): its outbound queue, heartbeat, and the
// transport currently carrying it (HTTP long-polling, or a WebSocket after
// an upgrade or from the start). All state lives on the session's strand;
// send() and close() may be called from any thread and never block: they
// hand the packet to the strand through a small locked inbox, and a burst of
// sends costs one post and, on a WebSocket, one gathered write. The
// transports are types of their own: polling_transport (the held GET) and
// websocket_transport (one WebSocket, its reads and writes); the session
// keeps the queue, inbox, heartbeat and the state machine.
//
// Failure: a client that stops reading is closed when its queue passes
// max_queued (never unbounded memory); a missed pong closes it after
// ping_timeout (a v3 session: no packet for ping_interval + ping_timeout);
// protocol errors close it with a reason the upper layer sees.
#pragma once

#include "engineio/error.hpp"
#include "engineio/packet.hpp"
#include "engineio/stats.hpp"
#include "engineio/polling_transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace solgrid::engineio {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct settings {
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::chrono::milliseconds upgrade_timeout{10000};
    std::size_t max_payload = 1000000;
    std::size_t max_queued = 4096;  // packets waiting for one client
    stats* counters = nullptr;      // the server's (engineio/stats.hpp); null: not counted
    // Engine.IO v3 clients (EIO=3) are served too; off: they get error 5.
    bool allow_eio3 = true;
};

enum class close_reason {
    transport_close,   // the client went away
    transport_error,   // a transport failed or misbehaved
    ping_timeout,
    forced_close,      // the client sent a close packet
    server_close,      // the upper layer closed it
    parse_error,       // a malformed packet
    slow_client,       // its queue overflowed
    server_shutdown,
};
// The reason as socket.io names it ("transport close", "ping timeout", ...).
std::string_view to_string(close_reason r);

struct handshake_info {
    std::map<std::string, std::string> query;
    std::string origin;
    std::string user_agent;
    std::string remote_address;
    std::string transport;  // "polling" or "websocket"
    // The Cookie header of the handshake request (the upper layer finds its
    // session there); empty if none was sent.
    std::string cookie;
    // The Engine.IO protocol of the session: 4, or 3 (a legacy client:
    // length-prefixed polling payloads, the client pings and we answer).
    int protocol = 4;
    // v3 only: the client asked for base64 binary in polling (b64=1).
    bool b64 = false;
};

class session;
using session_ptr = std::shared_ptr<session>;

// What the upper layer keeps for one session (Socket.IO's client state):
// where its messages go, and who learns of its end. The session owns it
// until it closes; called on the session's strand.
class websocket_transport;

class session_listener {
public:
    virtual ~session_listener() = default;
    virtual void on_message(const session_ptr& s, packet&& message) = 0;
    // Last call; the session lets go of its listener right after.
    virtual void on_close(const session_ptr& s, close_reason reason) = 0;
};

// The upper layer (Socket.IO, or an echo server). Called on the session's strand.
class session_handler {
public:
    virtual ~session_handler() = default;
    // A new session: its listener (nullptr: its messages are dropped).
    virtual std::shared_ptr<session_listener> on_open(const session_ptr& s) = 0;
};

class server;

// `p` as one server-to-client (unmasked) WebSocket frame.
std::string ws_frame_of(const outgoing& p);

class session : public std::enable_shared_from_this<session> {
public:
    enum class transport_kind { polling, websocket };

    using strand_type = asio::strand<asio::io_context::executor_type>;

    session(strand_type strand, std::string id, const settings& cfg, session_handler& handler,
            handshake_info info, std::function<void(const std::string&)> on_gone);
    ~session();

    const std::string& id() const { return id_; }
    const strand_type& executor() const { return strand_; }
    const handshake_info& handshake() const { return info_; }
    bool eio3() const { return info_.protocol == 3; }

    // Any thread. Queues a packet for the client; dropped if closed. With
    // `may_write_now`, an idle WebSocket gets it written at once (see
    // direct_fd_); without, it waits for the strand, which writes all that
    // has queued in one gathered send (cheaper per frame under heavy load).
    void send(const outgoing_ptr& p, bool may_write_now = true);
    // The same, for a broadcast: `ws_frame` is p as one WebSocket frame
    // (ws_frame_of(*p)), built once for every recipient, so an idle
    // WebSocket costs one plain send() of bytes that are already there.
    void send(const outgoing_ptr& p, std::string_view ws_frame, bool may_write_now);
    // Any thread. send(p, ws_frame, may_write_now) to each of `sessions`,
    // with the writes to idle WebSockets gathered into io_uring submissions
    // of up to net::batch_sender::max_batch sockets (one system call for
    // hundreds of clients instead of one each). Same guarantees as send():
    // a session's frames never interleave and keep their order.
    static void send_to_each(std::span<session* const> sessions, const outgoing_ptr& p, std::string_view ws_frame,
                             bool may_write_now);
    // Any thread. Closes the session (idempotent).
    void close(close_reason r);

    // --- used by engineio::server, on the strand ---
    // Hands the session to the upper layer (handler.on_open), once, after
    // the handshake: its listener gets the messages from now on.
    void open();
    void start_heartbeat();
    // A long-polling GET: the payload to answer with, or the error
    // (engineio::error) the request is refused with.
    asio::awaitable<boost::system::result<std::string>> poll();
    // A long-polling POST body: no error on success.
    boost::system::error_code post(std::string_view body, bool binary_framing = false);
    // The same, for a caller on another strand (co_spawn it here).
    // `binary_framing`: a v3 body in the XHR2 binary framing (sent as
    // application/octet-stream).
    asio::awaitable<boost::system::error_code> post_async(std::string body, bool binary_framing = false);
    // No error if a WebSocket may take over this polling session now;
    // error::unknown_sid if it has closed, error::already_upgraded if it
    // has (or is getting) a WebSocket.
    asio::awaitable<boost::system::error_code> can_upgrade();
    // Takes a WebSocket (already upgraded at HTTP level, on this strand).
    // `probe` = upgrade of a polling session (2probe/3probe/5 follows).
    void attach_websocket(tcp::socket socket, bool probe, std::shared_ptr<void> connection_slot = {});
    transport_kind transport() const { return transport_; }
    bool closed() const { return closed_; }
    bool has_websocket() const { return ws_ != nullptr; }

private:
    // The WebSocket works on the session's queue, inbox and state machine
    // (websocket_transport.hpp).
    friend class websocket_transport;
    void drain_inbox();
    // send() once the frame (or none) is chosen.
    void send_framed(const outgoing_ptr& p, std::string_view ws_frame, bool may_write_now);
    // Under inbox_mutex_, after a direct write of `frame` (p) returned n
    // (bytes, or < 0) short of the whole: the strand takes over. True if
    // the caller must post drain_inbox().
    bool queue_after_short_write_locked(const outgoing_ptr& p, std::string_view frame, ssize_t n);
    void enqueue(outgoing_ptr p);
    void on_packet(packet&& p, bool from_websocket);
    void wake();
    void arm_heartbeat(bool ping_phase);
    // v3: the client pings; no packet for ping_interval + ping_timeout closes it.
    void arm_client_timeout();
    void finish_close(close_reason r);
    // The upgrade's steps, as its probe WebSocket sees them: 2probe came
    // (a held GET answers noop), "5" came (the WebSocket takes over), or
    // the probe failed (polling goes on).
    void on_probe();
    void on_upgraded();
    void drop_probe();

    strand_type strand_;
    std::string id_;
    const settings& cfg_;
    session_handler& handler_;
    handshake_info info_;
    std::function<void(const std::string&)> on_gone_;
    std::shared_ptr<session_listener> listener_;  // strand only; released at the close

    // inbox: any thread, under inbox_mutex_. One cache line with the fields
    // a broadcast touches (the lock, inbox_closed_, direct_fd_).
    alignas(64) std::mutex inbox_mutex_;
    std::vector<outgoing_ptr> inbox_;
    bool drain_posted_ = false;
    bool inbox_closed_ = false;
    // The broadcast fast path, and the one deliberate exception to "state
    // only on the strand": while the WebSocket is open and idle (nothing
    // queued, no write pending) the strand publishes its fd here and send()
    // writes the frame at once under inbox_mutex_, skipping the post to the
    // strand. Every write to the socket, the strand's included, holds
    // inbox_mutex_, so frames never interleave. -1 when not idle.
    int direct_fd_ = -1;

    // strand-only state
    std::vector<outgoing_ptr> queue_;
    std::atomic<transport_kind> transport_{transport_kind::polling};  // atomic: /metrics reads it off-strand
    bool closed_ = false;
    bool pong_pending_ = false;
    asio::steady_timer heartbeat_;
    // The long-polling transport (polling_transport.hpp, session_polling.cpp).
    using release = polling_transport::release;
    polling_transport polling_;
    // The WebSocket transport (websocket_transport.hpp): direct, or the
    // probe of an upgrade.
    std::shared_ptr<websocket_transport> ws_;
    // The upgrade of a polling session: none, or the probe answered
    // (2probe → 3probe) and "5" awaited.
    enum class upgrade : unsigned char { none, probed };
    upgrade upgrade_ = upgrade::none;
};

}  // namespace solgrid::engineio
