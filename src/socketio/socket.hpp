// One client's connection to one namespace. Created by the server when a
// CONNECT succeeds; lives on its Engine.IO session's strand. Handlers are
// registered in the namespace's connection callback (on that strand) and
// called there. emit(), emit_with_ack(), join(), leave() and disconnect()
// may be called from any thread and never block.
#pragma once

#include "engineio/session.hpp"
#include "socketio/parser.hpp"
#include "socketio/types.hpp"

#include <atomic>
#include <set>
#include <unordered_map>

namespace solgrid::socketio {

class namespace_;

// How a socket came to be, decided by the server's CONNECT flow.
struct socket_origin {
    std::string pid;         // its private id for recovery ("" with recovery off)
    bool recovered = false;  // it took over a dropped socket's id, rooms and data
    bool offsets = false;    // the client keeps offsets (it presented a pid)
};

class socket : public std::enable_shared_from_this<socket> {
public:
    socket(std::string id, namespace_& nsp, engineio::session_ptr session, socketio::handshake hs,
           socket_origin origin);
    ~socket();

    const std::string& id() const { return id_; }
    const std::string& pid() const { return origin_.pid; }
    const std::string& nsp_name() const;
    namespace_& nsp() { return nsp_; }
    const socketio::handshake& handshake() const { return handshake_; }
    bool recovered() const { return origin_.recovered; }
    // True if broadcasts reach it with the recovery offset as their last
    // argument (a client that presented a pid at CONNECT; see namespace_::emit).
    bool keeps_offsets() const { return origin_.offsets; }
    bool connected() const { return connected_.load(); }
    // The Engine.IO session carrying it.
    const engineio::session_ptr& session() const { return session_; }

    // Who the client is, as a CONNECT middleware established it (from its
    // auth token, say); empty unless one set it. Set during CONNECT on the
    // strand, read-only after (access control reads it).
    const boost::json::object& identity() const { return identity_; }
    void set_identity(boost::json::object who) { identity_ = std::move(who); }

    // Application data kept across a recovered reconnection (strand only).
    boost::json::object data;

    void on(std::string event, event_handler h);
    // Called for events without a handler of their own.
    void on_any(event_handler h) { any_ = std::move(h); }
    void on_disconnect(std::function<void(const socket_ptr&, std::string_view reason)> h);

    void emit(std::string_view event, payload args);
    void emit_with_ack(std::string_view event, payload args, std::chrono::milliseconds timeout, ack_callback cb);

    void join(const std::string& room);
    void leave(const std::string& room);
    std::set<std::string> rooms() const;

    // Leaves the namespace (the client gets a DISCONNECT); `close_connection`
    // also closes the underlying Engine.IO session.
    void disconnect(bool close_connection = false);

    // Raw packet out (the server and namespace use it).
    void send_packet(const packet& p);

    // --- socketio::server only, on the strand.
    void handle_event(packet&& p);
    void handle_ack(packet&& p);
    // The socket is gone (idempotent): out of the namespace (remembered for
    // recovery if `reason` is a drop), pending acks fail, disconnect handlers run.
    void handle_close(std::string_view reason);
    // A middleware refused it: it never connected.
    void refused() { connected_ = false; }
    // Its session is kept by the namespace's cluster (namespace_::track).
    bool tracked() const { return tracked_.load(); }
    void mark_tracked() { tracked_ = true; }

private:
    struct pending_ack {
        ack_callback cb;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };

    std::string id_;
    namespace_& nsp_;
    engineio::session_ptr session_;
    socketio::handshake handshake_;
    socket_origin origin_;
    boost::json::object identity_;
    std::atomic<bool> connected_{true};
    std::atomic<bool> tracked_{false};

    std::unordered_map<std::string, event_handler> handlers_;
    event_handler any_;
    std::vector<std::function<void(const socket_ptr&, std::string_view)>> on_disconnect_;
    std::unordered_map<std::uint64_t, pending_ack> acks_;
    std::uint64_t next_ack_ = 0;
};

// Encodes an EVENT/BINARY_EVENT for `event` with `args`.
packet make_event(std::string_view nsp, std::string_view event, const payload& args,
                  std::optional<std::uint64_t> ack_id = std::nullopt);

// Turns a packet into the Engine.IO messages that carry it (text, then one
// binary message per attachment).
std::vector<engineio::outgoing_ptr> to_wire(const packet& p);

}  // namespace solgrid::socketio
