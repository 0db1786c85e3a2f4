#include "socketio/namespace.hpp"

#include <boost/json.hpp>

#include <cstdio>

namespace solgrid::socketio {
namespace {

}  // namespace

namespace {

// The offset variant of an encoded broadcast: its text packet with `,"seq"`
// spliced in before the closing bracket of the argument array (an EVENT's
// data is always a JSON array, so the text ends with ']'); binary
// attachments are shared with the plain variant. A copy of bytes, not a
// second JSON encoding.
std::vector<engineio::outgoing_ptr> with_offset(const std::vector<engineio::outgoing_ptr>& plain, std::uint64_t seq) {
    std::vector<engineio::outgoing_ptr> out(plain);
    const auto& text = plain.front()->data;
    auto o = std::make_shared<engineio::outgoing>();
    char digits[24];
    int n = std::snprintf(digits, sizeof digits, ",\"%llu\"]", static_cast<unsigned long long>(seq));
    o->data.reserve(text.size() + static_cast<std::size_t>(n));
    o->data.append(text, 0, text.size() - 1);
    o->data.append(digits, static_cast<std::size_t>(n));
    out.front() = std::move(o);
    return out;
}

}  // namespace

void namespace_::emit(std::string_view event, payload args, const std::vector<std::string>& rooms,
                      const std::vector<std::string>& except) {
    auto now = std::chrono::steady_clock::now();
    // Encoded once (outside the lock); every recipient's queue shares these bytes.
    auto plain = to_wire(make_event(name_, event, args));
    // With recovery on, a second variant carries the offset as its last
    // argument, as socket.io >= 4.6 does, for the sockets that keep offsets
    // (socket::keeps_offsets) and for the replay buffer; every other socket
    // gets the event as emitted, so a handler taking one argument gets one.
    std::vector<engineio::outgoing_ptr> offset;
    // The targets, snapshotted under the lock and written to after it: the
    // session pointers keep each session alive (a session that closes
    // meanwhile takes nothing: send() on a closed session is a no-op).
    thread_local std::vector<engineio::session_ptr> plain_to, offset_to;
    plain_to.clear();
    offset_to.clear();
    bool write_now;
    {
        std::lock_guard lock(mutex_);
        std::uint64_t seq = 0;
        if (recovery_enabled()) {
            seq = ++seq_;
            offset = with_offset(plain, seq);
        }
        // At a calm rate each event is written to each idle client at once
        // (lowest latency); past a burst threshold, frames queue on the
        // clients' strands so each client gets every queued frame in one send.
        if (now - window_start_ >= std::chrono::milliseconds(100)) {
            busy_ = window_events_ > burst_threshold;
            window_start_ = now;
            window_events_ = 0;
        }
        ++window_events_;
        write_now = !busy_;
        plain_to.reserve(adapter_.size());
        adapter_.for_each(rooms, except, [&](adapter::target& t) {
            const bool with_offset = t.offsets && seq;
            (with_offset ? offset_to : plain_to).push_back(t.session);
            if (seq) t.last_seq = seq;
            t.offset_sent |= with_offset;
        });
        if (seq) {
            replay_.push_back({seq, now, offset, rooms, except});
            expire_locked(now);
        }
    }
    // Each variant to its sessions, framed once for the idle WebSockets
    // that can be written to at once (their writes go out in batches).
    thread_local std::vector<engineio::session*> raw;
    thread_local std::vector<std::string> frames;
    auto send = [&](const std::vector<engineio::outgoing_ptr>& wire, std::vector<engineio::session_ptr>& to) {
        if (to.empty()) return;
        raw.clear();
        for (const auto& s : to) raw.push_back(s.get());
        for (const auto& w : wire) {
            std::string_view frame;
            if (write_now) {
                frames.resize(1);
                frames[0] = engineio::ws_frame_of(*w);
                frame = frames[0];
            }
            engineio::session::send_to_each(raw, w, frame, write_now);
        }
        to.clear();  // the snapshot's references go now, not at the next broadcast
    };
    send(plain, plain_to);
    send(offset, offset_to);
}

void namespace_::expire_locked(std::chrono::steady_clock::time_point now) {
    while (!replay_.empty() &&
           (replay_.size() > recovery_.max_packets || now - replay_.front().at > recovery_.window)) {
        evicted_upto_ = replay_.front().seq;
        replay_.pop_front();
    }
    // Dropped sessions expire by time; a sweep a second is plenty.
    if (now - last_sweep_ < std::chrono::seconds(1)) return;
    last_sweep_ = now;
    for (auto it = persisted_.begin(); it != persisted_.end();)
        it = now - it->second.at > recovery_.window ? persisted_.erase(it) : std::next(it);
}

std::size_t namespace_::socket_count() const {
    std::lock_guard lock(mutex_);
    return adapter_.size();
}

std::vector<std::string> namespace_::socket_ids_in(const std::string& room) const {
    std::lock_guard lock(mutex_);
    return adapter_.sids_in(room);
}

void namespace_::join(const std::string& sid, const std::string& room) {
    std::lock_guard lock(mutex_);
    adapter_.join(sid, room);
}

void namespace_::leave(const std::string& sid, const std::string& room) {
    std::lock_guard lock(mutex_);
    adapter_.leave(sid, room);
}

std::set<std::string> namespace_::rooms_of(const std::string& sid) const {
    std::lock_guard lock(mutex_);
    return adapter_.rooms_of(sid);
}

std::optional<connect_error> namespace_::run_middlewares(socket& s) const {
    for (const auto& m : middlewares_)
        if (auto err = m(s)) return err;
    return std::nullopt;
}

std::optional<namespace_::restored> namespace_::restore(const std::string& pid,
                                                        const std::optional<std::string>& offset) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    expire_locked(now);
    auto it = persisted_.find(pid);
    if (it == persisted_.end()) return std::nullopt;
    auto session = std::move(it->second);
    persisted_.erase(it);
    if (now - session.at > recovery_.window) return std::nullopt;  // the sweep is only once a second
    // The client's own offset is the truth once we have sent it one. Before
    // that it has none, or (socket.io-client takes the last argument of any
    // event for an offset if it is a string) one that is not ours: then what
    // we had queued to it is the start.
    std::uint64_t from = session.seq;
    if (offset && session.offset_sent) {
        try {
            std::size_t used = 0;
            from = std::stoull(*offset, &used);
            if (used != offset->size()) return std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (from < evicted_upto_ || from > seq_) return std::nullopt;  // missed packets are gone
    restored r{session.sid, pid, session.rooms, std::move(session.data), from, session.offset_sent};
    return r;
}

void namespace_::add(const socket_ptr& s, const restored* r, const std::function<void()>& greet) {
    std::lock_guard lock(mutex_);
    thread_local std::vector<const std::vector<engineio::outgoing_ptr>*> missed;
    missed.clear();
    bool offset_sent = r && r->offset_sent;
    if (r)
        for (const auto& p : replay_)
            if (p.seq > r->from && adapter::reaches(r->sid, r->rooms, p.rooms, p.except)) {
                missed.push_back(&p.wire);
                offset_sent = true;  // they carry offsets: its client's offset is ours after them
            }
    adapter_.add(s->id(), s.get(), {s->session(), s->keeps_offsets(), seq_, offset_sent},
                 r ? r->rooms : std::set<std::string>{});
    // Queued, not written: send() never blocks, and nothing here calls back.
    greet();
    for (const auto* wire : missed)
        for (const auto& w : *wire) s->session()->send(w);
    missed.clear();
}

void namespace_::remove(const socket& s, bool persist) {
    std::lock_guard lock(mutex_);
    auto gone = adapter_.remove(s.id(), &s);
    if (gone && persist && recovery_enabled() && !s.pid().empty())
        persisted_[s.pid()] = {s.id(), std::move(gone->rooms), s.data, gone->last_seq, gone->offset_sent,
                               std::chrono::steady_clock::now()};
}

}  // namespace solgrid::socketio
