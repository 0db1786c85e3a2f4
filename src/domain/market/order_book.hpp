// The market's matching engine for one market: a continuous double auction
// with price-time priority, in memory (no I/O, no storage). Not thread-safe:
// one owner thread (or strand) calls it. Invalid orders are rejected with a
// reason code, never an exception (only the constructor throws, on bad bounds).
//
// Data structures: one array of price levels per side indexed by
// (price - floor) (prices are bounded integers), a bitmap of non-empty levels
// per side to find the next best price in a few word scans, an intrusive
// doubly linked FIFO per level over a pooled node vector (free list: no heap
// allocation per order in steady state), and an open-addressing id -> node map.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace solgrid::domain::market {

using order_id = std::uint64_t;  // assigned by the caller; 0 is invalid
// An account: a household letter 'A'..'D' or the storage pool account 'P'
// (any non-zero byte is accepted; the engine only compares them for equality).
using account_id = char;
inline constexpr account_id pool_account = 'P';

enum class side : std::uint8_t { buy, sell };
enum class time_in_force : std::uint8_t { gtc, ioc };
enum class order_status : std::uint8_t { open, filled, cancelled, rejected };
enum class reject_reason : std::uint8_t {
    none,
    invalid_id,          // id 0
    duplicate_id,        // an open order already has this id
    invalid_account,     // account 0
    invalid_energy,      // energy_wh <= 0 or > max_energy_wh
    price_out_of_bounds  // price outside [floor, ceiling]
};
const char* to_string(reject_reason r) noexcept;
const char* to_string(order_status s) noexcept;

inline constexpr std::int64_t max_energy_wh = 1'000'000'000'000;  // 1 TWh per order

struct order {
    order_id id = 0;
    account_id account = 0;
    market::side side = side::buy;
    std::int64_t energy_wh = 0;  // > 0
    std::int64_t price = 0;      // minor units per kWh
    time_in_force tif = time_in_force::gtc;
    std::optional<std::int64_t> expires_at;  // caller's clock (e.g. unix ms); see expire_before
};

// amount = energy_wh * price / 1000 rounded half up to whole minor units
// (exact integer arithmetic). Buyer pays and seller receives the same amount.
std::int64_t trade_amount(std::int64_t energy_wh, std::int64_t price) noexcept;

struct trade {
    account_id buyer = 0, seller = 0;
    order_id buy_order = 0, sell_order = 0;
    std::int64_t energy_wh = 0;
    std::int64_t price = 0;   // the resting order's price
    std::int64_t amount = 0;  // trade_amount(energy_wh, price)
    bool operator==(const trade&) const = default;
};

// What insert() produced. Reused by the caller to avoid allocations.
struct fills {
    std::vector<trade> trades;
    // Resting orders of the same account cancelled by the self-trade rule.
    std::vector<order_id> self_trade_cancelled;
    void clear() noexcept { trades.clear(); self_trade_cancelled.clear(); }
};

struct insert_result {
    reject_reason reject = reject_reason::none;
    order_status status = order_status::rejected;
    std::int64_t filled_wh = 0;
    std::int64_t remaining_wh = 0;  // resting (open) or dropped (ioc: cancelled)
};

struct level {
    std::int64_t price = 0;
    std::int64_t energy_wh = 0;
    std::uint32_t orders = 0;
    bool operator==(const level&) const = default;
};

struct order_state {
    order o;                  // as inserted (energy_wh is the original size)
    std::int64_t remaining_wh = 0;
};

class order_book {
public:
    // Throws std::invalid_argument unless 0 <= floor <= ceiling and the
    // range has at most max_levels prices. `expected_orders` pre-sizes pools.
    static constexpr std::int64_t max_levels = 1 << 22;
    order_book(std::int64_t price_floor, std::int64_t price_ceiling, std::size_t expected_orders = 1024);

    // Matches `o` against the opposite side (best price first, oldest first at
    // a price; each trade at the resting order's price). Self-trade rule:
    // a resting order of the same account met while matching is cancelled
    // (listed in out.self_trade_cancelled) and matching goes on. A gtc
    // remainder rests; an ioc remainder is cancelled. `out` is cleared first.
    insert_result insert(const order& o, fills& out);

    // Removes an open order; false if no open order has this id.
    bool cancel(order_id id);
    // Removes every open order with expires_at <= now; returns their ids in
    // `expired` (appended, by expiry then insertion order). Call it with the
    // current time before insert() so that no expired order trades.
    std::size_t expire_before(std::int64_t now, std::vector<order_id>& expired);

    std::optional<order_state> find(order_id id) const;
    std::optional<std::int64_t> best_bid() const noexcept;
    std::optional<std::int64_t> best_ask() const noexcept;
    std::optional<std::int64_t> last_price() const noexcept { return last_price_; }
    // Up to `levels` levels per side: bids by descending, asks by ascending price.
    std::vector<level> bids(std::size_t levels) const { return depth(side::buy, levels); }
    std::vector<level> asks(std::size_t levels) const { return depth(side::sell, levels); }
    std::vector<level> depth(market::side s, std::size_t levels) const;
    std::size_t open_orders() const noexcept { return live_; }
    std::int64_t price_floor() const noexcept { return floor_; }
    std::int64_t price_ceiling() const noexcept { return ceiling_; }

private:
    static constexpr std::uint32_t nil = 0xffffffffu;
    struct node {
        order_id id;
        std::int64_t original_wh, remaining_wh, price;
        std::int64_t expires_at;
        std::uint64_t seq;
        std::uint32_t prev, next;
        account_id account;
        market::side sd;
        time_in_force tif;
        bool has_expiry;
    };
    struct level_q {
        std::uint32_t head = nil, tail = nil, count = 0;
        std::int64_t energy_wh = 0;
    };
    struct book_side {
        std::vector<level_q> levels;
        std::vector<std::uint64_t> bits;  // non-empty levels
        std::int64_t best = -1;           // index of the best level, -1 if empty
    };
    struct expiry_entry {
        std::int64_t at;
        std::uint64_t seq;
        order_id id;
    };

    // Open addressing, linear probing, backward-shift deletion; key 0 = empty.
    class id_index {
    public:
        explicit id_index(std::size_t expected);
        std::uint32_t find(order_id id) const noexcept;  // nil if absent
        void put(order_id id, std::uint32_t v);
        void erase(order_id id) noexcept;
    private:
        struct slot { order_id key; std::uint32_t val; };
        std::size_t home(order_id id) const noexcept {
            return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
        }
        void grow();
        std::vector<slot> slots_;
        std::size_t size_ = 0, mask_ = 0;
        unsigned shift_ = 0;
    };

    std::uint32_t alloc_node();
    void link_back(book_side& bs, std::size_t lvl, std::uint32_t n);
    void unlink(book_side& bs, std::size_t lvl, std::uint32_t n);
    void remove(std::uint32_t n);  // unlink + index erase + free
    static std::int64_t next_best(const book_side& bs, market::side s, std::int64_t from) noexcept;

    std::int64_t floor_, ceiling_;
    book_side bid_, ask_;
    std::vector<node> nodes_;
    std::uint32_t free_ = nil;
    id_index index_;
    std::vector<expiry_entry> expiry_heap_;  // min-heap; stale entries skipped
    std::size_t with_expiry_ = 0;
    std::size_t live_ = 0;
    std::uint64_t seq_ = 0;
    std::optional<std::int64_t> last_price_;
};

}  // namespace solgrid::domain::market
