// Internal to the market service (not for other layers): its state in
// memory, the group commit's ticket, and the small integer rules its parts
// share. Included by market_service.cpp, market_commit.cpp,
// market_requests.cpp and market_views.cpp only.
#pragma once

#include "domain/market/market_service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace solgrid::domain::market::detail {

inline std::int64_t to_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The money a buy order's remaining energy may cost at its limit price,
// rounded up (a trade rounds half up, so each trade's amount is covered up
// to half a minor unit per trade: docs/market.md).
inline std::int64_t buy_reserve(std::int64_t remaining_wh, std::int64_t price) {
    __int128 v = static_cast<__int128>(remaining_wh) * price;
    return static_cast<std::int64_t>((v + 999) / 1000);
}

inline const std::array<std::string, 5> holders{"A", "B", "C", "D", "pool"};

// A reading the pending batch settled, kept until that batch is stored: a
// conflicted or failed commit settles it again on the rebuilt state.
struct queued_reading {
    time_point at{};
    reading value;
    std::array<std::optional<double>, 4> meter_wh;
    relay_state relays;
};

struct event_out {
    std::vector<std::string> rooms;  // empty: everyone
    std::string name;
    boost::json::value payload;
};

}  // namespace solgrid::domain::market::detail

namespace solgrid::domain::market {

struct market_service::ticket {
    bool done = false;
    std::exception_ptr error;
    std::vector<std::function<void(std::exception_ptr)>> waiters;
};

struct market_service::state {
    struct held {
        order_record rec;
        std::int64_t reserve_money = 0;  // buy orders: money held for the remaining energy
    };
    struct holder {
        std::int64_t energy = 0, money = 0, reserved_energy = 0, reserved_money = 0;
    };

    explicit state(const market_settings& s) : book(s.price_floor, s.price_ceiling, 4096) {}

    order_book book;
    std::map<std::int64_t, held> open;
    std::map<std::string, holder> holders;
    std::int64_t next_order = 1, next_trade = 1, known_head = 0;
    std::optional<std::int64_t> last_price;
    std::optional<std::int64_t> pool_order;  // the pool's standing sell order
    int soc = -1;                            // newest reading's SoC, -1 before the first
    std::int64_t version = 0;                // the stored market version this state is at
    std::int64_t resync_to = 0;              // sync() saw this stored version: rebuild unless reached
    std::optional<settle_point> settled;     // the newest reading settled (by any instance)
    bool settle_dirty = false;               // settlement_ advanced since the last batch was taken
    bool ready = false;                      // loaded and consistent with the store
    bool flushing = false, poll_external = false, enforce_due = false;
    bool book_changed = false;
    bool switching = false;                  // a relay switch-off is on its way
    // What the next commit stores, and who waits for it.
    market_batch pending;
    std::unordered_map<std::int64_t, std::pair<bool, std::size_t>> pending_index;  // id -> (new?, index)
    std::shared_ptr<ticket> pending_ticket;
    std::vector<detail::event_out> pending_events;
    std::vector<detail::queued_reading> pending_readings;
    std::set<std::string> touched_holders;
    boost::asio::any_io_executor ex;
    fills f;
    std::vector<order_id> scratch_ids;
    // market_update coalescing
    std::chrono::steady_clock::time_point last_update{};
    bool update_scheduled = false;
};

}  // namespace solgrid::domain::market
