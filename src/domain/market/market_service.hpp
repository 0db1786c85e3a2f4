// The energy market as one service (issue 13; docs/market.md "The market
// service"): the order book, every holder's balances and reservations, the
// solar/consumption settlement, the pool's standing order, and relay
// enforcement, in memory under one mutex; every change is stored through
// market_store by a group commit (one transaction for everything queued while
// the previous one committed) and a caller is answered only once its change
// is durable. Events leave after the commit, in commit order.
//
// Consistency: memory runs ahead of the database by at most the queued
// batches. When a commit fails, those batches' callers get storage_unavailable
// and the service rebuilds itself from the database (the truth) before it
// takes another order; until then orders are refused with storage_unavailable.
//
// Several instances on one database (docs/market.md "Several instances"):
// every commit moves the stored market version on from the one this instance
// last read, or fails with market_conflict when another instance moved it
// first; then the service rebuilds from the database and runs the conflicted
// requests again (bounded), so matching happens once, on the current book.
// Optimistic on purpose: no read before matching, so one instance alone pays
// one UPDATE per group commit and nothing per order (bench/market unchanged).
// Reads call sync() first: one SELECT of the version, a rebuild when it moved.
//
// Any thread may call. Coroutines resume on the caller's executor.
#pragma once

#include "domain/market/market_types.hpp"
#include "domain/market/order_book.hpp"
#include "domain/market/settlement.hpp"
#include "domain/ports.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace solgrid::domain::market {

namespace detail {
struct queued_reading;
}

struct market_settings {
    std::string currency = "KRW";
    std::int64_t price_floor = 1, price_ceiling = 1000;
    std::int64_t credit_limit = 0;             // how far below zero a buyer's free money may go
    std::map<std::string, int> shares{{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}};
    // The pool's standing sell order: price at SoC 0 % and at 100 %
    // (linear between); nullopt: the pool keeps no standing order.
    std::optional<std::pair<std::int64_t, std::int64_t>> pool_prices;
    bool enforce = true;                        // MARKET_ENFORCE
    std::array<bool, 4> exempt{};               // MARKET_EXEMPT, A..D
    int soc_floor = 10;                         // SOC_FLOOR (%), every relay off at or below
    std::chrono::milliseconds update_interval{100};  // market_update at most this often
    std::size_t book_levels = 20;               // levels in GET /api/market
    // account_update / order_update go to "household:<X>" and the operators'
    // rooms; false (AUTH=off: nobody is in a room) sends them to everyone.
    bool private_rooms = true;
};

// What a request asks for (parsed and range-checked by the caller's layer
// except for what needs the market's state).
struct order_request {
    std::string household;  // "A".."D" or "pool"
    market::side side = side::buy;
    std::int64_t energy_wh = 0, price = 0;
    time_in_force tif = time_in_force::gtc;
    std::optional<time_point> expires_at;
};

// Why the market refused a request: maps to 400 / 404 / 409 at the edge.
struct refusal {
    enum class code { bad_field, unknown_order, not_open, insufficient_energy, insufficient_money } kind;
    std::string field;
    std::string message;
};

struct place_outcome {
    std::optional<refusal> refused;
    order_record order;
    std::vector<trade_record> trades;
};

struct cancel_outcome {
    std::optional<refusal> refused;
    order_record order;
};

struct account_view {
    std::string holder;
    std::int64_t energy_wh = 0, money = 0;
    std::int64_t reserved_energy_wh = 0, reserved_money = 0;
    std::int64_t free_energy_wh() const { return energy_wh - reserved_energy_wh; }
    std::int64_t credit_limit = 0;
    std::optional<std::string> relay_blocked;  // "energy_balance" / "soc_floor"
    bool exempt = false;
};

// What the market needs of the relays (app wires relay_service in).
struct relay_hooks {
    std::function<relay_state()> current;
    // Switches the named relays off; `reason` is recorded with the change.
    std::function<asio::awaitable<void>(relay_patch, std::string reason)> switch_off;
};

class market_service {
public:
    market_service(market_store& store, ledger_store& ledger, notifier& events, market_settings s);
    ~market_service();

    const market_settings& settings() const { return s_; }

    // Loads the book and balances from the store. Call once before serving.
    asio::awaitable<void> warm_up();

    // Turns relays off where enforcement says so (after each commit).
    void set_relays(relay_hooks h);
    // Produces the solar/consumption drafts for a reading (the settlement);
    // called under the service's lock, in reading order.
    using settle_fn = std::function<std::vector<ledger_draft>(time_point at, const reading& r,
                                                              const std::array<std::optional<double>, 4>& meter_wh,
                                                              const relay_state& relays)>;
    void set_settlement(settle_fn f);
    // The real settlement (what the app uses): each stored reading is settled
    // against the newest reading settled by any instance (stored with the
    // market's version), and a conflicted commit's readings are not counted
    // twice (the settlement is restored to its last committed state).
    void set_settlement(settlement_config c);

    asio::awaitable<place_outcome> place(order_request r);
    // `household`: only that holder's order may be cancelled (nullopt: any).
    asio::awaitable<cancel_outcome> cancel(std::int64_t id, std::optional<std::string> household);

    // A stored reading: settles solar and consumption, re-prices the pool's
    // order, expires orders, and enforces the relay rules. Returns once the
    // market's part is queued (not committed: the reading is already durable
    // and the market's entries follow it).
    void on_reading(time_point at, const reading& r, const std::array<std::optional<double>, 4>& meter_wh);

    // Expires due orders and picks up ledger entries appended by another
    // process (`solgrid ledger adjust`) or another instance; the app calls it
    // every ~2 s.
    asio::awaitable<void> tick();

    // Brings memory up to the stored market: one SELECT of the version, and
    // when another instance moved it, a rebuild from the database (after the
    // commit in flight). Call before answering from memory. Never throws: on
    // a storage error memory is shown as it is.
    asio::awaitable<void> sync();

    // Why household i's relay must stay off (nullopt: it may be on).
    std::optional<std::string> relay_block(std::size_t household) const;

    // Reads (from memory).
    std::vector<account_view> accounts() const;
    boost::json::object market_json() const;  // GET /api/market
    boost::json::object book_json(std::size_t levels) const;
    std::optional<std::int64_t> last_price() const;

    // Since start (for /metrics): orders answered 201, refused (400/409
    // kinds), cancelled by their owner, trades stored by this instance's
    // commits (a conflicted or failed commit's are not), orders open now.
    struct activity {
        std::uint64_t orders_accepted = 0, orders_refused = 0, orders_cancelled = 0, trades = 0;
        std::size_t open_orders = 0;
    };
    activity stats() const;

    // The store, for history reads (orders, trades, statements).
    market_store& store() { return store_; }

    static boost::json::object to_json(const order_record& o);
    static boost::json::object to_json(const trade_record& t);
    static boost::json::object to_json(const account_view& a);

private:
    struct state;
    struct ticket;
    using queued_reading = detail::queued_reading;

    // group commit
    std::shared_ptr<ticket> enqueue_locked();
    void start_flush_locked();
    asio::awaitable<void> flush();
    asio::awaitable<void> wait(std::shared_ptr<ticket> t);
    // wait(), false if the commit lost to another instance (run the request again).
    asio::awaitable<bool> committed(std::shared_ptr<ticket> t);
    void complete(const std::shared_ptr<ticket>& t, std::exception_ptr error);
    // Both return the ticket of requests that queued on the replaced state
    // while the snapshot was read (the caller completes it: they must run again).
    // `unsettled` (when given) receives the readings the replaced state had
    // settled but not stored; replay_locked() settles them again.
    asio::awaitable<std::shared_ptr<ticket>> rebuild(std::vector<queued_reading>* unsettled = nullptr);
    asio::awaitable<std::shared_ptr<ticket>> rebuild_until_done(std::vector<queued_reading>* unsettled = nullptr);
    asio::awaitable<bool> sync_moved();  // sync(); true when it rebuilt
    void settle_locked(time_point at, const reading& r, const std::array<std::optional<double>, 4>& meter_wh,
                       const relay_state& relays);
    void replay_locked(std::vector<queued_reading>& readings);
    asio::awaitable<void> pick_up_external(std::int64_t before);
    // events and relays
    std::vector<std::string> rooms_for(const std::string& holder) const;
    void publish_accounts(const std::set<std::string>& touched);
    void schedule_market_update();
    asio::awaitable<void> enforce_relays();
    std::optional<std::string> block_locked(std::size_t household) const;
    // changes in memory (mutex_ held)
    time_point begin_locked();
    place_outcome insert_locked(const order_request& r, time_point now);
    void apply_trade_locked(const trade& t, std::int64_t incoming, time_point now, std::vector<trade_record>* out);
    void end_order_locked(std::int64_t id, record_status status, end_reason why, time_point now);
    void touch_locked(const order_record& rec);
    void expire_locked(time_point now);
    void release_overcommitted_locked(time_point now);
    void refresh_pool_locked(time_point now);
    account_view view_locked(const std::string& holder) const;
    boost::json::object book_json_locked(std::size_t levels) const;

    market_store& store_;
    ledger_store& ledger_;
    notifier& events_;
    market_settings s_;
    relay_hooks relays_;
    settle_fn settle_;
    // set_settlement(settlement_config): the working settlement and a copy
    // as of the last commit that stored one of its readings (under mutex_).
    std::optional<settlement> settlement_, settlement_committed_;

    mutable std::mutex mutex_;
    std::unique_ptr<state> st_;
    activity counts_;  // under mutex_ (open_orders is read from st_)
};

}  // namespace solgrid::domain::market
