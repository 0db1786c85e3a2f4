#include "socketio/namespace.hpp"

#include <boost/json.hpp>

#include <cstdio>

namespace solgrid::socketio {
namespace {

// Every socket is in the room named by its own id; that room is implied
// rather than stored (one set entry less per idle client).
bool matches(const std::string& sid, const std::set<std::string>& socket_rooms, const std::vector<std::string>& rooms,
             const std::vector<std::string>& except) {
    for (const auto& r : except)
        if (r == sid || socket_rooms.count(r)) return false;
    if (rooms.empty()) return true;
    for (const auto& r : rooms)
        if (r == sid || socket_rooms.count(r)) return true;
    return false;
}

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
    std::lock_guard lock(mutex_);
    std::uint64_t seq = 0;
    // With recovery on, a second variant carries the offset as its last
    // argument, as socket.io >= 4.6 does, for the sockets that keep offsets
    // (socket::offsets_) and for the replay buffer; every other socket gets
    // the event as emitted, so a handler taking one argument gets one.
    std::vector<engineio::outgoing_ptr> offset;
    if (recovery_enabled()) {
        seq = ++seq_;
        offset = with_offset(plain, seq);
    }

    // At a calm rate each event is written to each idle client at once
    // (lowest latency); past a burst threshold, frames queue on the clients'
    // strands so each client gets every queued frame in one send.
    if (now - window_start_ >= std::chrono::milliseconds(100)) {
        busy_ = window_events_ > burst_threshold;
        window_start_ = now;
        window_events_ = 0;
    }
    ++window_events_;
    const bool write_now = !busy_;
    // Framed once too, per variant, for the clients it can be written to at
    // once (the offset variant only if some target keeps offsets).
    struct variant {
        const std::vector<engineio::outgoing_ptr>* wire;
        std::vector<std::string> frames;
        bool framed = false;
        void frame(bool now) {
            if (framed || !now) return;
            framed = true;
            frames.reserve(wire->size());
            for (const auto& w : *wire) frames.push_back(engineio::ws_frame_of(*w));
        }
        std::string_view frame_at(std::size_t i) const { return framed ? std::string_view(frames[i]) : std::string_view(); }
    };
    variant v_plain{&plain, {}}, v_offset{&offset, {}};
    auto send_all = [&](socket& s) {
        auto& v = s.offsets_ && seq ? v_offset : v_plain;
        v.frame(write_now);
        for (std::size_t i = 0; i < v.wire->size(); ++i) s.session_->send((*v.wire)[i], v.frame_at(i), write_now);
        if (seq) s.last_seq_ = seq;
    };
    if (rooms.empty() && except.empty()) {
        // Everyone: the sessions in one flat list per variant, each packet
        // to all of them at once (the idle WebSockets' writes go out in batches).
        thread_local std::vector<engineio::session*> targets, offset_targets;
        targets.clear();
        offset_targets.clear();
        targets.reserve(members_.size());
        for (const auto& m : members_) (m.sock->offsets_ && seq ? offset_targets : targets).push_back(m.session);
        for (auto* v : {&v_plain, &v_offset}) {
            auto& to = v == &v_plain ? targets : offset_targets;
            if (to.empty()) continue;
            v->frame(write_now);
            for (std::size_t i = 0; i < v->wire->size(); ++i)
                engineio::session::send_to_each(to, (*v->wire)[i], v->frame_at(i), write_now);
        }
        if (seq)
            for (const auto& m : members_) m.sock->last_seq_ = seq;
    } else if (!rooms.empty()) {
        std::unordered_set<std::string> done;
        auto consider = [&](const std::string& sid) {
            if (!done.insert(sid).second) return;
            auto s = sockets_.find(sid);
            if (s != sockets_.end() && matches(sid, s->second->rooms_, {}, except)) send_all(*s->second);
        };
        for (const auto& room : rooms) {
            if (sockets_.count(room)) consider(room);  // a socket's own room
            auto it = rooms_.find(room);
            if (it == rooms_.end()) continue;
            for (const auto& sid : it->second) consider(sid);
        }
    } else {
        for (auto& [id, s] : sockets_)
            if (matches(id, s->rooms_, {}, except)) send_all(*s);
    }

    if (seq) {
        replay_.push_back({seq, now, std::move(offset), rooms, except});
        expire_locked(now);
    }
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
    return sockets_.size();
}

std::vector<std::string> namespace_::socket_ids_in(const std::string& room) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    if (auto it = rooms_.find(room); it != rooms_.end()) out.assign(it->second.begin(), it->second.end());
    if (sockets_.count(room)) out.push_back(room);
    return out;
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
    // The client's own offset is the truth; a client that never got a
    // packet has none, and then what we had queued to it is the start.
    std::uint64_t from = session.seq;
    if (offset) {
        try {
            std::size_t used = 0;
            from = std::stoull(*offset, &used);
            if (used != offset->size()) return std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (from < evicted_upto_ || from > seq_) return std::nullopt;  // missed packets are gone
    restored r{session.sid, pid, session.rooms, std::move(session.data), {}};
    for (const auto& p : replay_)
        if (p.seq > from && matches(session.sid, session.rooms, p.rooms, p.except)) r.missed.push_back(p.wire);
    return r;
}

void namespace_::add(const socket_ptr& s, const std::set<std::string>& rooms) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = sockets_.try_emplace(s->id(), s);
    if (inserted) {
        s->member_ = members_.size();
        members_.push_back({s->session_.get(), s.get()});
    } else {
        // A socket id taken over (a recovered session): the entry moves to the new socket.
        s->member_ = it->second->member_;
        members_[s->member_] = {s->session_.get(), s.get()};
        it->second = s;
    }
    s->last_seq_ = seq_;
    for (const auto& r : rooms) {
        if (r == s->id()) continue;
        s->rooms_.insert(r);
        rooms_[r].insert(s->id());
    }
}

void namespace_::remove(socket& s, bool persist) {
    std::lock_guard lock(mutex_);
    auto it = sockets_.find(s.id());
    if (it == sockets_.end() || it->second.get() != &s) return;
    for (const auto& r : s.rooms_) {
        auto room = rooms_.find(r);
        if (room == rooms_.end()) continue;
        room->second.erase(s.id());
        if (room->second.empty()) rooms_.erase(room);
    }
    if (persist && recovery_enabled() && !s.pid_.empty()) {
        std::set<std::string> rooms = s.rooms_;
        persisted_[s.pid_] = {s.id(), std::move(rooms), s.data, s.last_seq_, std::chrono::steady_clock::now()};
    }
    s.rooms_.clear();
    // Out of the flat list: the last entry takes its place.
    auto& last = members_.back();
    last.sock->member_ = s.member_;
    members_[s.member_] = last;
    members_.pop_back();
    sockets_.erase(it);
}

void namespace_::join(socket& s, const std::string& room) {
    std::lock_guard lock(mutex_);
    if (!sockets_.count(s.id()) || room == s.id()) return;
    s.rooms_.insert(room);
    rooms_[room].insert(s.id());
}

void namespace_::leave(socket& s, const std::string& room) {
    std::lock_guard lock(mutex_);
    s.rooms_.erase(room);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.erase(s.id());
    if (it->second.empty()) rooms_.erase(it);
}

std::set<std::string> namespace_::rooms_of(const socket& s) const {
    std::lock_guard lock(mutex_);
    auto rooms = s.rooms_;
    if (sockets_.count(s.id())) rooms.insert(s.id());
    return rooms;
}

}  // namespace solgrid::socketio
