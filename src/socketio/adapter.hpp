// The rooms <-> socket ids of one namespace, as socket.io-adapter keeps
// them (rooms: room -> sids, and each socket's rooms), and who a broadcast
// reaches: the seam a Redis adapter or per-household rooms plug into.
// Every socket is in the room named by its own id; that room is implied,
// never stored (one set entry less per idle client). Not thread-safe: its
// namespace's mutex guards every call; nothing here does I/O.
#pragma once

#include "engineio/session.hpp"
#include "socketio/cluster.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace solgrid::socketio {

class adapter {
public:
    // What a broadcast needs of one socket, kept in one flat array: a
    // broadcast to everyone walks contiguous entries.
    struct target {
        engineio::session_ptr session;
        bool offsets = false;        // broadcasts carry the recovery offset (socket::keeps_offsets)
        offset_key last_seq;         // the newest offset queued to it
        // An offset reached it (a broadcast or replay with one): from then
        // on, the offset its client reports is one we gave it.
        bool offset_sent = false;
    };
    // What a socket leaves behind (for connection-state recovery).
    struct removed {
        std::set<std::string> rooms;
        offset_key last_seq;
        bool offset_sent = false;
    };

    // Adds socket `sid` (or hands its id over to `owner`, a recovered
    // socket) in `rooms` besides its own.
    void add(const std::string& sid, const void* owner, target t, const std::set<std::string>& rooms);
    // Removes `sid` if `owner` still holds it.
    std::optional<removed> remove(const std::string& sid, const void* owner);
    bool contains(const std::string& sid) const { return index_.count(sid) != 0; }
    // Who holds `sid` (null if nobody).
    const void* owner_of(const std::string& sid) const {
        auto it = index_.find(sid);
        return it == index_.end() ? nullptr : details_[it->second].owner;
    }
    std::size_t size() const { return targets_.size(); }

    void join(const std::string& sid, const std::string& room);
    void leave(const std::string& sid, const std::string& room);
    // Its rooms, its own id's included.
    std::set<std::string> rooms_of(const std::string& sid) const;
    std::vector<std::string> sids_in(const std::string& room) const;

    // Calls f(target&) once for each socket in any of `rooms` (everyone if
    // empty) and in none of `except`.
    template <class F>
    void for_each(const std::vector<std::string>& rooms, const std::vector<std::string>& except, F&& f);
    // The ids and owners of the sockets for_each would visit (for room
    // changes and disconnects another instance asks for).
    std::vector<std::pair<std::string, const void*>> matching(const std::vector<std::string>& rooms,
                                                              const std::vector<std::string>& except) const;

    // True if a socket `sid` in `socket_rooms` is reached by a broadcast to
    // `rooms` except `except` (also used to replay a stored broadcast).
    static bool reaches(const std::string& sid, const std::set<std::string>& socket_rooms,
                        const std::vector<std::string>& rooms, const std::vector<std::string>& except);

private:
    // Calls f(index) for each socket for_each visits.
    template <class F>
    void for_each_index(const std::vector<std::string>& rooms, const std::vector<std::string>& except, F&& f) const;

    struct details {
        // The key of its index_ entry (node keys never move): one copy of
        // the id per socket here, not two; idle clients cost what they hold.
        const std::string* sid;
        const void* owner;
        // Its rooms besides its own; most sockets join none, so the set is
        // only allocated by the first join().
        std::unique_ptr<std::set<std::string>> rooms;
        const std::set<std::string>& rooms_or_none() const {
            static const std::set<std::string> none;
            return rooms ? *rooms : none;
        }
    };
    std::vector<target> targets_;    // hot: what a broadcast touches
    std::vector<details> details_;   // the same index, the rest
    std::unordered_map<std::string, std::size_t> index_;  // sid -> index
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;
};

template <class F>
void adapter::for_each(const std::vector<std::string>& rooms, const std::vector<std::string>& except, F&& f) {
    if (rooms.empty() && except.empty()) {
        for (auto& t : targets_) f(t);
        return;
    }
    for_each_index(rooms, except, [&](std::size_t i) { f(targets_[i]); });
}

template <class F>
void adapter::for_each_index(const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                             F&& f) const {
    if (rooms.empty()) {
        for (std::size_t i = 0; i < targets_.size(); ++i)
            if (reaches(*details_[i].sid, details_[i].rooms_or_none(), {}, except)) f(i);
        return;
    }
    thread_local std::vector<std::size_t> picked;
    picked.clear();
    auto consider = [&](const std::string& sid) {
        auto it = index_.find(sid);
        if (it != index_.end() && reaches(sid, details_[it->second].rooms_or_none(), {}, except))
            picked.push_back(it->second);
    };
    for (const auto& room : rooms) {
        consider(room);  // a socket's own room
        if (auto it = rooms_.find(room); it != rooms_.end())
            for (const auto& sid : it->second) consider(sid);
    }
    std::sort(picked.begin(), picked.end());
    picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
    for (auto i : picked) f(i);
}

}  // namespace solgrid::socketio
