#include "storage/sql_market_store.hpp"

#include "domain/ports.hpp"
#include "storage/sql_ledger_store.hpp"
#include "storage/sql_stores.hpp"

#include <soci/soci.h>

#include <array>
#include <chrono>

namespace solgrid::storage {

namespace market = domain::market;

namespace {

const char* const order_columns =
    "id, household, side, energy_wh, filled_wh, price, tif, status, reason, expires_at, created_at, updated_at";

std::string order_select(dialect d) {
    return "SELECT id, household, side, energy_wh, filled_wh, price, tif, status, reason, " +
           time_column(d, "expires_at") + ", " + time_column(d, "created_at") + ", " + time_column(d, "updated_at") +
           " FROM market_orders";
}

// Reads rows of order_select() from a prepared statement.
struct order_row {
    long long id = 0, energy = 0, filled = 0, price = 0;
    std::string household, side, tif, status, reason, expires, created, updated;
    soci::indicator expires_ind = soci::i_null;

    void bind(soci::statement& st) {
        st.exchange(soci::into(id));
        st.exchange(soci::into(household));
        st.exchange(soci::into(side));
        st.exchange(soci::into(energy));
        st.exchange(soci::into(filled));
        st.exchange(soci::into(price));
        st.exchange(soci::into(tif));
        st.exchange(soci::into(status));
        st.exchange(soci::into(reason));
        st.exchange(soci::into(expires, expires_ind));
        st.exchange(soci::into(created));
        st.exchange(soci::into(updated));
    }
    market::order_record record() const {
        market::order_record r;
        r.id = id;
        r.household = household;
        r.side = side == "sell" ? market::side::sell : market::side::buy;
        r.energy_wh = energy;
        r.filled_wh = filled;
        r.price = price;
        r.tif = tif == "ioc" ? market::time_in_force::ioc : market::time_in_force::gtc;
        r.status = market::record_status_from(status).value_or(market::record_status::cancelled);
        r.reason = market::end_reason_from(reason);
        if (expires_ind == soci::i_ok) r.expires_at = from_db_time(expires);
        r.created_at = from_db_time(created);
        r.updated_at = from_db_time(updated);
        return r;
    }
};

std::vector<market::order_record> query_orders(soci::session& s, const std::string& sql,
                                               const std::vector<std::string>& text_args, long long limit) {
    std::vector<market::order_record> out;
    order_row row;
    soci::statement st(s);
    st.alloc();
    st.prepare(sql);
    row.bind(st);
    std::vector<std::string> args = text_args;
    for (auto& a : args) st.exchange(soci::use(a));
    st.exchange(soci::use(limit));
    st.define_and_bind();
    st.execute();
    while (st.fetch()) out.push_back(row.record());
    return out;
}

const char* const settled_columns =
    "settled_at, settled_soc, settled_solar_w, settled_lux, settled_meter_a, settled_meter_b, settled_meter_c, "
    "settled_meter_d";

void write_settled(soci::session& s, const market::settle_point& p) {
    long long at = std::chrono::duration_cast<std::chrono::milliseconds>(p.at.time_since_epoch()).count();
    int soc = p.value.soc;
    double solar = p.value.solar_w, lux = p.value.lux;
    std::array<double, 4> m{};
    std::array<soci::indicator, 4> ind{};
    for (std::size_t i = 0; i < 4; ++i) {
        m[i] = p.meter_wh[i].value_or(0.0);
        ind[i] = p.meter_wh[i] ? soci::i_ok : soci::i_null;
    }
    s << "UPDATE market_version SET settled_at = :at, settled_soc = :soc, settled_solar_w = :w, settled_lux = :l,"
         " settled_meter_a = :a, settled_meter_b = :b, settled_meter_c = :c, settled_meter_d = :d WHERE id = 1",
        soci::use(at), soci::use(soc), soci::use(solar), soci::use(lux), soci::use(m[0], ind[0]),
        soci::use(m[1], ind[1]), soci::use(m[2], ind[2]), soci::use(m[3], ind[3]);
}

long long read_version(soci::session& s) {
    long long v = 0;
    s << "SELECT version FROM market_version WHERE id = 1", soci::into(v);
    return v;
}

std::optional<market::settle_point> read_settled(soci::session& s) {
    long long at = 0;
    int soc = 0;
    double solar = 0, lux = 0;
    std::array<double, 4> m{};
    soci::indicator at_ind = soci::i_null, soc_ind = soci::i_null, solar_ind = soci::i_null, lux_ind = soci::i_null;
    std::array<soci::indicator, 4> ind{soci::i_null, soci::i_null, soci::i_null, soci::i_null};
    s << std::string("SELECT ") + settled_columns + " FROM market_version WHERE id = 1", soci::into(at, at_ind),
        soci::into(soc, soc_ind), soci::into(solar, solar_ind), soci::into(lux, lux_ind), soci::into(m[0], ind[0]),
        soci::into(m[1], ind[1]), soci::into(m[2], ind[2]), soci::into(m[3], ind[3]);
    if (!s.got_data() || at_ind != soci::i_ok) return std::nullopt;
    market::settle_point p;
    p.at = domain::time_point(std::chrono::milliseconds(at));
    p.value.soc = soc_ind == soci::i_ok ? soc : 0;
    p.value.solar_w = solar_ind == soci::i_ok ? solar : 0.0;
    p.value.lux = lux_ind == soci::i_ok ? lux : 0.0;
    for (std::size_t i = 0; i < 4; ++i)
        if (ind[i] == soci::i_ok) p.meter_wh[i] = m[i];
    return p;
}

}  // namespace

asio::awaitable<std::int64_t> sql_market_store::version() {
    return db_.read<std::int64_t>([](soci::session& s) -> std::int64_t { return read_version(s); });
}

asio::awaitable<std::pair<std::int64_t, std::int64_t>> sql_market_store::commit(market::market_batch b) {
    const dialect d = db_.kind();
    return db_.write_alone<std::pair<std::int64_t, std::int64_t>>([b = std::move(b), d](soci::session& s) {
        // First, before any row that could collide with another instance's
        // (order and trade ids): the guarded version step. MySQL's UPDATE waits
        // for a concurrent commit's row lock and then sees its version; SQLite's
        // write_alone holds the write lock from BEGIN IMMEDIATE. Zero rows: the
        // market moved on since this batch was computed; the throw rolls back.
        {
            long long from = b.version;
            soci::statement st = (s.prepare << "UPDATE market_version SET version = version + 1 WHERE id = 1 AND "
                                               "version = :v",
                                  soci::use(from));
            st.execute(true);
            if (st.get_affected_rows() != 1) throw market::market_conflict();
        }
        if (b.settled) write_settled(s, *b.settled);
        if (!b.new_orders.empty()) {
            std::vector<long long> id, energy, filled, price;
            std::vector<std::string> household, side, tif, status, reason, expires, created, updated;
            std::vector<soci::indicator> expires_ind;
            for (const auto& o : b.new_orders) {
                id.push_back(o.id);
                household.push_back(o.household);
                side.emplace_back(market::to_string(o.side));
                energy.push_back(o.energy_wh);
                filled.push_back(o.filled_wh);
                price.push_back(o.price);
                tif.emplace_back(market::to_string(o.tif));
                status.emplace_back(market::to_string(o.status));
                reason.emplace_back(market::to_string(o.reason));
                expires.push_back(o.expires_at ? to_db_time(*o.expires_at) : std::string());
                expires_ind.push_back(o.expires_at ? soci::i_ok : soci::i_null);
                created.push_back(to_db_time(o.created_at));
                updated.push_back(to_db_time(o.updated_at));
            }
            s << std::string("INSERT INTO market_orders (") + order_columns +
                     ") VALUES (:id, :h, :s, :e, :f, :p, :t, :st, :r, :x, :c, :u)",
                soci::use(id), soci::use(household), soci::use(side), soci::use(energy), soci::use(filled),
                soci::use(price), soci::use(tif), soci::use(status), soci::use(reason), soci::use(expires, expires_ind),
                soci::use(created), soci::use(updated);
        }
        if (!b.changed_orders.empty()) {
            std::vector<long long> id, filled;
            std::vector<std::string> status, reason, updated;
            for (const auto& o : b.changed_orders) {
                id.push_back(o.id);
                filled.push_back(o.filled_wh);
                status.emplace_back(market::to_string(o.status));
                reason.emplace_back(market::to_string(o.reason));
                updated.push_back(to_db_time(o.updated_at));
            }
            s << "UPDATE market_orders SET filled_wh = :f, status = :s, reason = :r, updated_at = :u WHERE id = :id",
                soci::use(filled), soci::use(status), soci::use(reason), soci::use(updated), soci::use(id);
        }
        if (!b.trades.empty()) {
            std::vector<long long> id, buy, sell;
            std::vector<double> energy, price, amount;  // the seed's REAL columns; integers well inside 2^53
            std::vector<std::string> buyer, seller, at;
            for (const auto& t : b.trades) {
                id.push_back(t.id);
                buyer.push_back(t.buyer);
                seller.push_back(t.seller);
                energy.push_back(static_cast<double>(t.energy_wh));
                price.push_back(static_cast<double>(t.price));
                amount.push_back(static_cast<double>(t.amount));
                at.push_back(to_db_time(t.at));
                buy.push_back(t.buy_order_id);
                sell.push_back(t.sell_order_id);
            }
            s << "INSERT INTO trade_history (id, buyer, seller, energy_wh, price_per_kwh, total_price, created_at,"
                 " buy_order_id, sell_order_id) VALUES (:id, :b, :s, :e, :p, :a, :at, :bo, :so)",
                soci::use(id), soci::use(buyer), soci::use(seller), soci::use(energy), soci::use(price),
                soci::use(amount), soci::use(at), soci::use(buy), soci::use(sell);
        }
        return append_ledger_entries(s, d, b.entries, nullptr);
    });
}

asio::awaitable<market::market_snapshot> sql_market_store::load() {
    const dialect d = db_.kind();
    return db_.read<market::market_snapshot>([d](soci::session& s) {
        market::market_snapshot snap;
        // The version first: the rows read after it are at least that new, so
        // a snapshot can only be newer than its version says (its next commit
        // then conflicts and it is read again), never older.
        snap.version = read_version(s);
        snap.settled = read_settled(s);
        snap.open_orders = query_orders(s, order_select(d) + " WHERE status = 'open' ORDER BY id LIMIT :n", {},
                                        1LL << 40);
        std::string account;
        long long energy = 0, money = 0;
        {
            soci::statement st = (s.prepare << "SELECT account, energy_wh, money FROM market_accounts",
                                  soci::into(account), soci::into(energy), soci::into(money));
            st.execute();
            while (st.fetch()) snap.accounts[account] = {energy, money};
        }
        long long v = 0;
        soci::indicator ind = soci::i_null;
        s << "SELECT MAX(id) FROM market_orders", soci::into(v, ind);
        snap.max_order_id = ind == soci::i_ok ? v : 0;
        ind = soci::i_null;
        s << "SELECT MAX(id) FROM trade_history", soci::into(v, ind);
        snap.max_trade_id = ind == soci::i_ok ? v : 0;
        ind = soci::i_null;
        s << "SELECT MAX(id) FROM ledger_entries", soci::into(v, ind);
        snap.ledger_head_id = ind == soci::i_ok ? v : 0;
        double price = 0;
        s << "SELECT price_per_kwh FROM trade_history ORDER BY id DESC LIMIT 1", soci::into(price);
        if (s.got_data()) snap.last_price = static_cast<std::int64_t>(price);
        return snap;
    });
}

asio::awaitable<std::vector<market::order_record>> sql_market_store::orders(std::optional<std::string> household,
                                                                           bool open_only, std::size_t limit) {
    const dialect d = db_.kind();
    return db_.read<std::vector<market::order_record>>([d, household, open_only, limit](soci::session& s) {
        std::string sql = order_select(d) + " WHERE 1 = 1";
        std::vector<std::string> args;
        if (household) {
            sql += " AND household = :h";
            args.push_back(*household);
        }
        if (open_only) sql += " AND status = 'open'";
        sql += " ORDER BY id DESC LIMIT :n";
        return query_orders(s, sql, args, static_cast<long long>(limit));
    });
}

asio::awaitable<std::optional<market::order_record>> sql_market_store::order(std::int64_t id) {
    const dialect d = db_.kind();
    return db_.read<std::optional<market::order_record>>([d, id](soci::session& s) -> std::optional<market::order_record> {
        auto rows = query_orders(s, order_select(d) + " WHERE id = " + std::to_string(id) + " LIMIT :n", {}, 1);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

asio::awaitable<std::vector<market::trade_record>> sql_market_store::trades(market::trade_query q) {
    const dialect d = db_.kind();
    return db_.read<std::vector<market::trade_record>>([d, q](soci::session& s) {
        std::vector<market::trade_record> out;
        std::string from = to_db_time(q.from), to = to_db_time(q.to), h = q.household.value_or("");
        long long n = static_cast<long long>(q.limit);
        long long id = 0, buy = 0, sell = 0;
        double energy = 0, price = 0, amount = 0;
        std::string buyer, seller, at;
        soci::indicator buy_ind = soci::i_null, sell_ind = soci::i_null;
        std::string sql = "SELECT id, buyer, seller, energy_wh, price_per_kwh, total_price, " +
                          time_column(d, "created_at") +
                          ", buy_order_id, sell_order_id FROM trade_history WHERE created_at >= :f AND created_at < :t";
        if (q.household) sql += " AND (buyer = :h OR seller = :h2)";
        sql += " ORDER BY id DESC LIMIT :n";
        soci::statement st(s);
        st.alloc();
        st.prepare(sql);
        st.exchange(soci::into(id));
        st.exchange(soci::into(buyer));
        st.exchange(soci::into(seller));
        st.exchange(soci::into(energy));
        st.exchange(soci::into(price));
        st.exchange(soci::into(amount));
        st.exchange(soci::into(at));
        st.exchange(soci::into(buy, buy_ind));
        st.exchange(soci::into(sell, sell_ind));
        st.exchange(soci::use(from));
        st.exchange(soci::use(to));
        std::string h2 = h;
        if (q.household) {
            st.exchange(soci::use(h));
            st.exchange(soci::use(h2));
        }
        st.exchange(soci::use(n));
        st.define_and_bind();
        st.execute();
        while (st.fetch()) {
            market::trade_record t;
            t.id = id;
            t.buyer = buyer;
            t.seller = seller;
            t.energy_wh = static_cast<std::int64_t>(energy);
            t.price = static_cast<std::int64_t>(price);
            t.amount = static_cast<std::int64_t>(amount);
            t.at = from_db_time(at);
            t.buy_order_id = buy_ind == soci::i_ok ? buy : 0;
            t.sell_order_id = sell_ind == soci::i_ok ? sell : 0;
            out.push_back(std::move(t));
        }
        return out;
    });
}

asio::awaitable<std::vector<market::posting_row>> sql_market_store::postings(std::string holder, domain::time_point from,
                                                                            domain::time_point to) {
    const dialect d = db_.kind();
    return db_.read<std::vector<market::posting_row>>([d, holder, from, to](soci::session& s) {
        std::vector<market::posting_row> out;
        std::string f = to_db_time(from), t = to_db_time(to), a = holder, at, kind;
        long long energy = 0, money = 0;
        int est = 0;
        soci::statement st =
            (s.prepare << "SELECT " + time_column(d, "e.at") +
                              ", e.kind, e.estimated, p.energy_wh, p.money FROM ledger_postings p"
                              " JOIN ledger_entries e ON e.id = p.entry_id"
                              " WHERE p.account = :a AND e.at >= :f AND e.at < :t ORDER BY e.id",
             soci::use(a), soci::use(f), soci::use(t), soci::into(at), soci::into(kind), soci::into(est),
             soci::into(energy), soci::into(money));
        st.execute();
        while (st.fetch()) {
            market::posting_row r;
            r.at = from_db_time(at);
            r.kind = market::entry_kind_from(kind).value_or(market::entry_kind::adjustment);
            r.estimated = est != 0;
            r.energy_wh = energy;
            r.money = money;
            out.push_back(r);
        }
        return out;
    });
}

}  // namespace solgrid::storage
