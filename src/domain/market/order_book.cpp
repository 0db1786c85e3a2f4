#include "domain/market/order_book.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace solgrid::domain::market {

const char* to_string(reject_reason r) noexcept {
    switch (r) {
        case reject_reason::none: return "none";
        case reject_reason::invalid_id: return "invalid_id";
        case reject_reason::duplicate_id: return "duplicate_id";
        case reject_reason::invalid_account: return "invalid_account";
        case reject_reason::invalid_energy: return "invalid_energy";
        case reject_reason::price_out_of_bounds: return "price_out_of_bounds";
    }
    return "unknown";
}

const char* to_string(order_status s) noexcept {
    switch (s) {
        case order_status::open: return "open";
        case order_status::filled: return "filled";
        case order_status::cancelled: return "cancelled";
        case order_status::rejected: return "rejected";
    }
    return "unknown";
}

std::int64_t trade_amount(std::int64_t energy_wh, std::int64_t price) noexcept {
    // Both are non-negative and bounded; 128-bit keeps the product exact.
    __int128 p = static_cast<__int128>(energy_wh) * price;
    return static_cast<std::int64_t>((p + 500) / 1000);
}

// ---- id_index ----

order_book::id_index::id_index(std::size_t expected) {
    std::size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    slots_.assign(cap, slot{0, 0});
    mask_ = cap - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(cap));
}

std::uint32_t order_book::id_index::find(order_id id) const noexcept {
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
        const slot& s = slots_[i];
        if (s.key == id) return s.val;
        if (s.key == 0) return nil;
    }
}

void order_book::id_index::put(order_id id, std::uint32_t v) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
        slot& s = slots_[i];
        if (s.key == 0 || s.key == id) {
            if (s.key == 0) ++size_;
            s = slot{id, v};
            return;
        }
    }
}

void order_book::id_index::erase(order_id id) noexcept {
    std::size_t i = home(id);
    for (;; i = (i + 1) & mask_) {
        if (slots_[i].key == 0) return;
        if (slots_[i].key == id) break;
    }
    // Backward shift: pull later entries of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
        std::size_t h = home(slots_[j].key);
        // Move j into the hole unless its home lies cyclically in (hole, j].
        bool stays = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
        if (!stays) {
            slots_[hole] = slots_[j];
            hole = j;
        }
    }
    slots_[hole] = slot{0, 0};
    --size_;
}

void order_book::id_index::grow() {
    std::vector<slot> old;
    old.swap(slots_);
    std::size_t cap = old.size() * 2;
    slots_.assign(cap, slot{0, 0});
    mask_ = cap - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(cap));
    size_ = 0;
    for (const slot& s : old)
        if (s.key != 0) put(s.key, s.val);
}

// ---- order_book ----

order_book::order_book(std::int64_t price_floor, std::int64_t price_ceiling, std::size_t expected_orders)
    : floor_(price_floor), ceiling_(price_ceiling), index_(expected_orders) {
    if (price_floor < 0 || price_ceiling < price_floor || price_ceiling - price_floor + 1 > max_levels)
        throw std::invalid_argument("order_book: need 0 <= floor <= ceiling and at most 4194304 price levels");
    auto n = static_cast<std::size_t>(price_ceiling - price_floor + 1);
    for (book_side* bs : {&bid_, &ask_}) {
        bs->levels.assign(n, level_q{});
        bs->bits.assign((n + 63) / 64, 0);
    }
    nodes_.reserve(expected_orders);
}

std::uint32_t order_book::alloc_node() {
    if (free_ != nil) {
        std::uint32_t n = free_;
        free_ = nodes_[n].next;
        return n;
    }
    nodes_.push_back(node{});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void order_book::link_back(book_side& bs, std::size_t lvl, std::uint32_t n) {
    level_q& q = bs.levels[lvl];
    node& x = nodes_[n];
    x.prev = q.tail;
    x.next = nil;
    if (q.tail == nil) {
        q.head = n;
        bs.bits[lvl >> 6] |= 1ull << (lvl & 63);
    } else {
        nodes_[q.tail].next = n;
    }
    q.tail = n;
    ++q.count;
    q.energy_wh += x.remaining_wh;
}

void order_book::unlink(book_side& bs, std::size_t lvl, std::uint32_t n) {
    level_q& q = bs.levels[lvl];
    node& x = nodes_[n];
    if (x.prev == nil) q.head = x.next; else nodes_[x.prev].next = x.next;
    if (x.next == nil) q.tail = x.prev; else nodes_[x.next].prev = x.prev;
    --q.count;
    q.energy_wh -= x.remaining_wh;
    if (q.count == 0) {
        bs.bits[lvl >> 6] &= ~(1ull << (lvl & 63));
        if (bs.best == static_cast<std::int64_t>(lvl))
            bs.best = next_best(bs, &bs == &bid_ ? side::buy : side::sell, bs.best);
    }
}

void order_book::remove(std::uint32_t n) {
    node& x = nodes_[n];
    book_side& bs = x.sd == side::buy ? bid_ : ask_;
    unlink(bs, static_cast<std::size_t>(x.price - floor_), n);
    index_.erase(x.id);
    if (x.has_expiry) --with_expiry_;
    x.id = 0;
    x.next = free_;
    free_ = n;
    --live_;
}

// Best non-empty level at or beyond `from` (downwards for bids, upwards for asks).
std::int64_t order_book::next_best(const book_side& bs, side s, std::int64_t from) noexcept {
    const auto nwords = static_cast<std::int64_t>(bs.bits.size());
    if (s == side::buy) {
        if (from < 0) return -1;
        std::int64_t w = from >> 6;
        std::uint64_t bits = bs.bits[w];
        int shift = 63 - static_cast<int>(from & 63);
        bits = shift == 0 ? bits : (bits << shift) >> shift;  // keep bits <= from
        while (true) {
            if (bits) return w * 64 + 63 - std::countl_zero(bits);
            if (--w < 0) return -1;
            bits = bs.bits[w];
        }
    }
    const auto n = static_cast<std::int64_t>(bs.levels.size());
    if (from >= n) return -1;
    std::int64_t w = from >> 6;
    std::uint64_t bits = bs.bits[w] & (~0ull << (from & 63));  // keep bits >= from
    while (true) {
        if (bits) return w * 64 + std::countr_zero(bits);
        if (++w >= nwords) return -1;
        bits = bs.bits[w];
    }
}

insert_result order_book::insert(const order& o, fills& out) {
    out.clear();
    insert_result r;
    if (o.id == 0) { r.reject = reject_reason::invalid_id; return r; }
    if (o.account == 0) { r.reject = reject_reason::invalid_account; return r; }
    if (o.energy_wh <= 0 || o.energy_wh > max_energy_wh) { r.reject = reject_reason::invalid_energy; return r; }
    if (o.price < floor_ || o.price > ceiling_) { r.reject = reject_reason::price_out_of_bounds; return r; }
    if (index_.find(o.id) != nil) { r.reject = reject_reason::duplicate_id; return r; }

    const bool buy = o.side == side::buy;
    book_side& opp = buy ? ask_ : bid_;
    const std::int64_t lvl = o.price - floor_;
    std::int64_t remaining = o.energy_wh;

    // Match while the opposite best price crosses ours.
    while (remaining > 0 && opp.best >= 0 && (buy ? opp.best <= lvl : opp.best >= lvl)) {
        const auto l = static_cast<std::size_t>(opp.best);
        level_q& q = opp.levels[l];
        const std::int64_t price = floor_ + opp.best;
        std::uint32_t n = q.head;
        while (n != nil && remaining > 0) {
            node& rest = nodes_[n];
            const std::uint32_t next = rest.next;
            if (rest.account == o.account) {
                out.self_trade_cancelled.push_back(rest.id);
                remove(n);  // may move opp.best when the level empties
                n = next;
                continue;
            }
            const std::int64_t q_wh = std::min(remaining, rest.remaining_wh);
            trade t;
            t.buyer = buy ? o.account : rest.account;
            t.seller = buy ? rest.account : o.account;
            t.buy_order = buy ? o.id : rest.id;
            t.sell_order = buy ? rest.id : o.id;
            t.energy_wh = q_wh;
            t.price = price;
            t.amount = trade_amount(q_wh, price);
            out.trades.push_back(t);
            remaining -= q_wh;
            if (q_wh == rest.remaining_wh) {
                remove(n);
            } else {
                rest.remaining_wh -= q_wh;
                q.energy_wh -= q_wh;
            }
            n = next;
        }
    }
    if (!out.trades.empty()) last_price_ = out.trades.back().price;

    r.filled_wh = o.energy_wh - remaining;
    r.remaining_wh = remaining;
    if (remaining == 0) {
        r.status = order_status::filled;
        return r;
    }
    if (o.tif == time_in_force::ioc) {
        r.status = order_status::cancelled;
        return r;
    }
    // Rest the remainder.
    std::uint32_t n = alloc_node();
    node& x = nodes_[n];
    x.id = o.id;
    x.original_wh = o.energy_wh;
    x.remaining_wh = remaining;
    x.price = o.price;
    x.has_expiry = o.expires_at.has_value();
    x.expires_at = o.expires_at.value_or(0);
    x.seq = ++seq_;
    x.account = o.account;
    x.sd = o.side;
    x.tif = o.tif;
    book_side& own = buy ? bid_ : ask_;
    link_back(own, static_cast<std::size_t>(lvl), n);
    if (own.best < 0 || (buy ? lvl > own.best : lvl < own.best)) own.best = lvl;
    index_.put(o.id, n);
    ++live_;
    if (x.has_expiry) {
        ++with_expiry_;
        expiry_heap_.push_back({x.expires_at, x.seq, x.id});
        std::push_heap(expiry_heap_.begin(), expiry_heap_.end(), [](const expiry_entry& a, const expiry_entry& b) {
            return a.at != b.at ? a.at > b.at : a.seq > b.seq;
        });
    }
    r.status = order_status::open;
    return r;
}

bool order_book::cancel(order_id id) {
    if (id == 0) return false;
    std::uint32_t n = index_.find(id);
    if (n == nil) return false;
    remove(n);
    return true;
}

std::size_t order_book::expire_before(std::int64_t now, std::vector<order_id>& expired) {
    auto later = [](const expiry_entry& a, const expiry_entry& b) {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    };
    std::size_t count = 0;
    while (!expiry_heap_.empty() && expiry_heap_.front().at <= now) {
        expiry_entry e = expiry_heap_.front();
        std::pop_heap(expiry_heap_.begin(), expiry_heap_.end(), later);
        expiry_heap_.pop_back();
        std::uint32_t n = index_.find(e.id);
        if (n == nil || nodes_[n].seq != e.seq) continue;  // already filled or cancelled
        expired.push_back(e.id);
        remove(n);
        ++count;
    }
    // Drop stale entries (orders gone otherwise) once they dominate the heap.
    if (expiry_heap_.size() > 64 && expiry_heap_.size() > 4 * with_expiry_) {
        std::erase_if(expiry_heap_, [this](const expiry_entry& e) {
            std::uint32_t n = index_.find(e.id);
            return n == nil || nodes_[n].seq != e.seq;
        });
        std::make_heap(expiry_heap_.begin(), expiry_heap_.end(), later);
    }
    return count;
}

std::optional<order_state> order_book::find(order_id id) const {
    if (id == 0) return std::nullopt;
    std::uint32_t n = index_.find(id);
    if (n == nil) return std::nullopt;
    const node& x = nodes_[n];
    order_state s;
    s.o.id = x.id;
    s.o.account = x.account;
    s.o.side = x.sd;
    s.o.energy_wh = x.original_wh;
    s.o.price = x.price;
    s.o.tif = x.tif;
    if (x.has_expiry) s.o.expires_at = x.expires_at;
    s.remaining_wh = x.remaining_wh;
    return s;
}

std::optional<std::int64_t> order_book::best_bid() const noexcept {
    if (bid_.best < 0) return std::nullopt;
    return floor_ + bid_.best;
}

std::optional<std::int64_t> order_book::best_ask() const noexcept {
    if (ask_.best < 0) return std::nullopt;
    return floor_ + ask_.best;
}

std::vector<level> order_book::depth(side s, std::size_t levels) const {
    std::vector<level> out;
    const book_side& bs = s == side::buy ? bid_ : ask_;
    std::int64_t i = bs.best;
    while (i >= 0 && out.size() < levels) {
        const level_q& q = bs.levels[static_cast<std::size_t>(i)];
        out.push_back(level{floor_ + i, q.energy_wh, q.count});
        i = next_best(bs, s, s == side::buy ? i - 1 : i + 1);
    }
    return out;
}

}  // namespace solgrid::domain::market
