#include "socketio/namespace.hpp"

#include <boost/json.hpp>

#include <cstdio>

namespace solgrid::socketio {
// The offset variant of an encoded broadcast: its text packet with `,"offset"`
// spliced in before the closing bracket of the argument array (an EVENT's
// data is always a JSON array, so the text ends with ']'); binary
// attachments are shared with the plain variant. A copy of bytes, not a
// second JSON encoding.
std::vector<engineio::outgoing_ptr> namespace_::with_offset(const std::vector<engineio::outgoing_ptr>& plain,
                                                            offset_key k) const {
    std::vector<engineio::outgoing_ptr> out(plain);
    const auto& text = plain.front()->data;
    auto o = std::make_shared<engineio::outgoing>();
    auto digits = offset_text(k);
    o->data.reserve(text.size() + digits.size() + 3);
    o->data.append(text, 0, text.size() - 1);
    o->data.append(",\"");
    o->data.append(digits);
    o->data.append("\"]");
    out.front() = std::move(o);
    return out;
}

namespace {

packet event_packet(const std::string& nsp, const cluster_broadcast& b) {
    packet p;
    p.type = b.attachments.empty() ? packet_type::event : packet_type::binary_event;
    p.nsp = nsp;
    p.data = b.data;
    p.buffers = b.attachments;
    return p;
}

}  // namespace

void namespace_::emit(std::string_view event, payload args, const std::vector<std::string>& rooms,
                      const std::vector<std::string>& except) {
    if (cluster_) {
        // Through the cluster: this instance's clients get it back from
        // there (deliver()), in the order every instance sees.
        cluster_broadcast b;
        b.data.reserve(args.args.size() + 1);
        b.data.push_back(boost::json::string(event));
        for (auto& a : args.args) b.data.push_back(std::move(a));
        b.attachments = std::move(args.attachments);
        b.rooms = rooms;
        b.except = except;
        auto fallback = event_packet(name_, b);
        if (cluster_->publish(*this, std::move(b))) return;
        broadcast_local(to_wire(fallback), rooms, except, std::nullopt, true);
        return;
    }
    // Encoded once (outside the lock); every recipient's queue shares these bytes.
    broadcast_local(to_wire(make_event(name_, event, args)), rooms, except, std::nullopt, false);
}

void namespace_::deliver(const cluster_broadcast& b, std::optional<offset_key> offset) {
    broadcast_local(to_wire(event_packet(name_, b)), b.rooms, b.except, offset, true);
}

void namespace_::broadcast_local(const std::vector<engineio::outgoing_ptr>& plain,
                                 const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                                 std::optional<offset_key> given, bool from_cluster) {
    auto now = std::chrono::steady_clock::now();
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
        std::optional<offset_key> seq;
        if (recovery_enabled()) {
            if (!from_cluster) seq = offset_key{++seq_, 0};
            else seq = given;
        }
        if (seq) {
            offset = with_offset(plain, *seq);
            if (last_ < *seq) last_ = *seq;
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
            // A recovered socket was already sent what it missed up to
            // this offset (a cluster's reader may lag behind its range read).
            if (seq && *seq <= t.last_seq) return;
            const bool gets_offset = t.offsets && seq;
            (gets_offset ? offset_to : plain_to).push_back(t.session);
            if (seq) t.last_seq = *seq;
            t.offset_sent |= gets_offset;
        });
        if (seq) {
            replay_.push_back({*seq, now, offset, rooms, except});
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

void namespace_::apply_remote(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                              const std::function<void(const std::string& sid, socket* owner)>& f) {
    // Under the lock a socket still in the adapter is alive (its removal
    // waits for this lock), so it can be pinned; the work runs after it.
    std::vector<std::pair<std::string, socket_ptr>> picked;
    {
        std::lock_guard lock(mutex_);
        for (auto& [sid, owner] : adapter_.matching(rooms, except)) {
            auto* s = const_cast<socket*>(static_cast<const socket*>(owner));
            picked.emplace_back(sid, s ? s->shared_from_this() : nullptr);
        }
    }
    for (auto& [sid, s] : picked) f(sid, s.get());
}

void namespace_::apply_remote_join(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                                   const std::vector<std::string>& join) {
    apply_remote(rooms, except, [&](const std::string& sid, socket*) {
        for (const auto& r : join) this->join(sid, r);
    });
}

void namespace_::apply_remote_leave(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                                    const std::vector<std::string>& leave) {
    apply_remote(rooms, except, [&](const std::string& sid, socket*) {
        for (const auto& r : leave) this->leave(sid, r);
    });
}

void namespace_::apply_remote_disconnect(const std::vector<std::string>& rooms,
                                         const std::vector<std::string>& except, bool close) {
    apply_remote(rooms, except, [&](const std::string&, socket* s) {
        if (s) s->disconnect(close);
    });
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
    {
        std::lock_guard lock(mutex_);
        adapter_.join(sid, room);
    }
    retrack(sid);
}

void namespace_::leave(const std::string& sid, const std::string& room) {
    {
        std::lock_guard lock(mutex_);
        adapter_.leave(sid, room);
    }
    retrack(sid);
}

void namespace_::retrack(const std::string& sid) {
    if (!cluster_ || !recovery_enabled()) return;
    socket_ptr s;
    {
        std::lock_guard lock(mutex_);  // held, the owner is alive (see apply_remote)
        auto* owner = const_cast<socket*>(static_cast<const socket*>(adapter_.owner_of(sid)));
        if (owner && owner->tracked()) s = owner->shared_from_this();
    }
    if (s) track(*s);
}

void namespace_::track(socket& s) {
    if (!cluster_ || !recovery_enabled() || s.pid().empty()) return;
    cluster_session session{s.id(), s.pid(), {}, s.data, std::nullopt, false};
    {
        std::lock_guard lock(mutex_);
        if (!adapter_.contains(s.id())) return;  // gone already
        session.rooms = adapter_.rooms_of(s.id());
        // Anything newer reached it with an offset its client reports.
        if (!last_.empty()) session.last = last_;
    }
    s.mark_tracked();
    cluster_->track(*this, std::move(session));
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
    offset_key from = session.seq;
    if (offset && session.offset_sent) {
        try {
            std::size_t used = 0;
            from = {std::stoull(*offset, &used), 0};
            if (used != offset->size()) return std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (from < evicted_upto_ || offset_key{seq_, 0} < from) return std::nullopt;  // missed packets are gone
    restored r{session.sid, pid, session.rooms, std::move(session.data), from, session.offset_sent, {}, {}};
    return r;
}

namespace_::restored namespace_::adopt(cluster_restore&& c) const {
    restored r;
    r.sid = std::move(c.session.sid);
    r.pid = std::move(c.session.pid);
    r.rooms = std::move(c.session.rooms);
    r.rooms.erase(r.sid);  // the adapter's session lists the socket's own room
    r.data = std::move(c.session.data);
    r.from = c.from;
    r.offset_sent = c.session.offset_sent;
    for (auto& [key, b] : c.missed) {
        r.missed.push_back(with_offset(to_wire(event_packet(name_, b)), key));
        r.missed_upto = std::max(r.missed_upto, key);
    }
    return r;
}

void namespace_::add(const socket_ptr& s, const restored* r, const std::function<void()>& greet) {
    std::lock_guard lock(mutex_);
    thread_local std::vector<const std::vector<engineio::outgoing_ptr>*> missed;
    missed.clear();
    bool offset_sent = r && (r->offset_sent || !r->missed.empty());
    offset_key sent_upto = last_;
    if (r) {
        // What a cluster's range read found, then what was delivered here
        // beyond it (its reader may run ahead of that read); later ones
        // reach it live, and deliver() skips those it already has.
        for (const auto& wire : r->missed) missed.push_back(&wire);
        auto after = std::max(r->from, r->missed_upto);
        for (const auto& p : replay_)
            if (after < p.seq && adapter::reaches(r->sid, r->rooms, p.rooms, p.except)) {
                missed.push_back(&p.wire);
                offset_sent = true;  // they carry offsets: its client's offset is ours after them
            }
        sent_upto = std::max(sent_upto, r->missed_upto);
    }
    adapter_.add(s->id(), s.get(), {s->session(), s->keeps_offsets(), sent_upto, offset_sent},
                 r ? r->rooms : std::set<std::string>{});
    // Queued, not written: send() never blocks, and nothing here calls back.
    greet();
    for (const auto* wire : missed)
        for (const auto& w : *wire) s->session()->send(w);
    missed.clear();
}

void namespace_::remove(const socket& s, bool persist) {
    std::optional<cluster_session> to_cluster;
    {
        std::lock_guard lock(mutex_);
        auto gone = adapter_.remove(s.id(), &s);
        if (!gone || !recovery_enabled() || s.pid().empty()) return;
        if (!persist) {
            if (cluster_ && s.tracked()) to_cluster = cluster_session{};
        } else if (!cluster_) {
            persisted_[s.pid()] = {s.id(), std::move(gone->rooms), s.data, gone->last_seq, gone->offset_sent,
                                   std::chrono::steady_clock::now()};
            return;
        } else {
            to_cluster = cluster_session{s.id(), s.pid(), std::move(gone->rooms), s.data, std::nullopt, gone->offset_sent};
            to_cluster->rooms.insert(s.id());
            if (!gone->last_seq.empty()) to_cluster->last = gone->last_seq;
        }
    }
    if (!to_cluster) return;
    if (to_cluster->pid.empty()) cluster_->untrack(*this, s.pid());
    else cluster_->persist(*this, std::move(*to_cluster));
}

}  // namespace solgrid::socketio
