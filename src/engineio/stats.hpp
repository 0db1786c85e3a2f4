// Counters an Engine.IO server keeps for /metrics (issue 14): sessions
// opened and closed (by reason), packets and bytes handed to transports,
// packets dropped with a slow client's queue. Plain relaxed atomics, one
// increment per event or per broadcast batch (never per byte); any thread.
// The server owns one and points settings::counters at it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace solgrid::engineio {

struct stats {
    static constexpr std::size_t reasons = 8;  // close_reason's values

    std::atomic<std::uint64_t> sessions_opened{0};
    std::array<std::atomic<std::uint64_t>, reasons> closed_by_reason{};
    std::atomic<std::uint64_t> packets_sent{0};  // message packets queued or written, per recipient
    std::atomic<std::uint64_t> bytes_sent{0};    // their Engine.IO packet bytes (before framing)
    std::atomic<std::uint64_t> queue_drops{0};   // packets discarded when a slow client was closed

    void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

}  // namespace solgrid::engineio
