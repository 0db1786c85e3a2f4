// Reading Redis stream replies (XRANGE, one stream of XREAD) for the
// adapter's two halves (streams_adapter.cpp, streams_adapter_restore.cpp).
// Pure; any thread.
#pragma once

#include "redis/cluster_message.hpp"
#include "redis/resp.hpp"

#include <string>
#include <utility>
#include <vector>

namespace solgrid::redis {

// The id right after `k` (XRANGE's start is inclusive; "(" needs Redis 6.2).
inline std::string next_id(socketio::offset_key k) { return socketio::to_stream_id({k.major, k.minor + 1}); }

// [[id, [field, value, ...]], ...] (an XRANGE reply, or one stream of XREAD's).
inline std::vector<std::pair<std::string, cluster::fields>> entries_of(const value& v) {
    std::vector<std::pair<std::string, cluster::fields>> out;
    if (!v.is_array()) return out;
    out.reserve(v.elements.size());
    for (const auto& e : v.elements) {
        if (!e.is_array() || e.elements.size() != 2 || !e.elements[0].is_string()) continue;
        cluster::fields f;
        const auto& kv = e.elements[1].elements;
        for (std::size_t i = 0; i + 1 < kv.size(); i += 2) f.emplace_back(kv[i].str, kv[i + 1].str);
        out.emplace_back(e.elements[0].str, std::move(f));
    }
    return out;
}

}  // namespace solgrid::redis
