#include "socketio/adapter.hpp"

namespace solgrid::socketio {

bool adapter::reaches(const std::string& sid, const std::set<std::string>& socket_rooms,
                      const std::vector<std::string>& rooms, const std::vector<std::string>& except) {
    for (const auto& r : except)
        if (r == sid || socket_rooms.count(r)) return false;
    if (rooms.empty()) return true;
    for (const auto& r : rooms)
        if (r == sid || socket_rooms.count(r)) return true;
    return false;
}

void adapter::add(const std::string& sid, const void* owner, target t, const std::set<std::string>& rooms) {
    auto [it, inserted] = index_.try_emplace(sid, targets_.size());
    if (inserted) {
        targets_.push_back(std::move(t));
        details_.push_back({&it->first, owner, {}});
    } else {
        // An id taken over (a recovered session): the entry moves to the new socket.
        targets_[it->second] = std::move(t);
        details_[it->second].owner = owner;
    }
    for (const auto& r : rooms) join(sid, r);
}

std::optional<adapter::removed> adapter::remove(const std::string& sid, const void* owner) {
    auto it = index_.find(sid);
    if (it == index_.end() || details_[it->second].owner != owner) return std::nullopt;
    auto at = it->second;
    removed out{details_[at].rooms ? std::move(*details_[at].rooms) : std::set<std::string>{}, targets_[at].last_seq,
                targets_[at].offset_sent};
    for (const auto& r : out.rooms) {
        auto room = rooms_.find(r);
        if (room == rooms_.end()) continue;
        room->second.erase(sid);
        if (room->second.empty()) rooms_.erase(room);
    }
    // Out of the flat arrays: the last entry takes its place.
    if (at + 1 != targets_.size()) {
        targets_[at] = std::move(targets_.back());
        details_[at] = std::move(details_.back());
        index_[*details_[at].sid] = at;
    }
    targets_.pop_back();
    details_.pop_back();
    index_.erase(sid);
    return out;
}

void adapter::join(const std::string& sid, const std::string& room) {
    auto it = index_.find(sid);
    if (it == index_.end() || room == sid) return;
    auto& rooms = details_[it->second].rooms;
    if (!rooms) rooms = std::make_unique<std::set<std::string>>();
    rooms->insert(room);
    rooms_[room].insert(sid);
}

void adapter::leave(const std::string& sid, const std::string& room) {
    if (auto it = index_.find(sid); it != index_.end() && details_[it->second].rooms)
        details_[it->second].rooms->erase(room);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.erase(sid);
    if (it->second.empty()) rooms_.erase(it);
}

std::vector<std::pair<std::string, const void*>> adapter::matching(const std::vector<std::string>& rooms,
                                                                   const std::vector<std::string>& except) const {
    std::vector<std::pair<std::string, const void*>> out;
    for_each_index(rooms, except, [&](std::size_t i) { out.emplace_back(*details_[i].sid, details_[i].owner); });
    return out;
}

std::set<std::string> adapter::rooms_of(const std::string& sid) const {
    auto it = index_.find(sid);
    if (it == index_.end()) return {};
    auto rooms = details_[it->second].rooms_or_none();
    rooms.insert(sid);
    return rooms;
}

std::vector<std::string> adapter::sids_in(const std::string& room) const {
    std::vector<std::string> out;
    if (auto it = rooms_.find(room); it != rooms_.end()) out.assign(it->second.begin(), it->second.end());
    if (index_.count(room)) out.push_back(room);
    return out;
}

}  // namespace solgrid::socketio
