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
class server;

class socket : public std::enable_shared_from_this<socket> {
public:
    socket(std::string id, namespace_& nsp, engineio::session_ptr session, socketio::handshake hs);
    ~socket();

    const std::string& id() const { return id_; }
    const std::string& pid() const { return pid_; }
    const std::string& nsp_name() const;
    namespace_& nsp() { return nsp_; }
    const socketio::handshake& handshake() const { return handshake_; }
    bool recovered() const { return recovered_; }
    // True if broadcasts reach it with the recovery offset as their last
    // argument (a client that presented a pid at CONNECT; see namespace_::emit).
    bool keeps_offsets() const { return offsets_; }
    bool connected() const { return connected_.load(); }

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

private:
    friend class server;
    friend class namespace_;

    void on_event(packet&& p);
    void on_ack(packet&& p);
    void closed(std::string_view reason);  // strand only; idempotent

    struct pending_ack {
        ack_callback cb;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };

    std::string id_;
    std::string pid_;
    namespace_& nsp_;
    engineio::session_ptr session_;
    socketio::handshake handshake_;
    bool recovered_ = false;
    std::atomic<bool> connected_{true};
    std::uint64_t last_seq_ = 0;  // newest broadcast offset queued to it (under the namespace lock)
    std::size_t member_ = 0;      // its index in the namespace's members_ (under the namespace lock)
    // Broadcasts carry the recovery offset as their last argument: set at
    // CONNECT when the client presented a pid (it keeps offsets), fixed after.
    bool offsets_ = false;

    std::unordered_map<std::string, event_handler> handlers_;
    event_handler any_;
    std::vector<std::function<void(const socket_ptr&, std::string_view)>> on_disconnect_;
    std::unordered_map<std::uint64_t, pending_ack> acks_;
    std::uint64_t next_ack_ = 0;
    std::set<std::string> rooms_;  // guarded by the namespace's mutex
};

// Encodes an EVENT/BINARY_EVENT for `event` with `args`.
packet make_event(std::string_view nsp, std::string_view event, const payload& args,
                  std::optional<std::uint64_t> ack_id = std::nullopt);

// Turns a packet into the Engine.IO messages that carry it (text, then one
// binary message per attachment).
std::vector<engineio::outgoing_ptr> to_wire(const packet& p);

}  // namespace solgrid::socketio
