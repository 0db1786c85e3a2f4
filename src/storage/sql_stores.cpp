#include "storage/sql_stores.hpp"

#include <soci/soci.h>

namespace solgrid::storage {

std::string time_column(dialect d, const std::string& column) {
    if (d == dialect::mysql) return "DATE_FORMAT(" + column + ", '%Y-%m-%d %H:%i:%s.%f')";
    return column;
}

asio::awaitable<domain::stored_reading> sql_reading_store::append(domain::reading r, domain::time_point at) {
    return db_.write<domain::stored_reading>([r, at](soci::session& s) {
        std::string ts = to_db_time(at);
        int soc = r.soc;
        double w = r.solar_w, lux = r.lux;
        s << "INSERT INTO sun_data_realtime (soc, solar_w, lux, created_at) VALUES (:soc, :w, :lux, :ts)",
            soci::use(soc), soci::use(w), soci::use(lux), soci::use(ts);
        long long id = 0;
        s.get_last_insert_id("sun_data_realtime", id);
        return domain::stored_reading{id, r, at};
    });
}

asio::awaitable<std::optional<domain::stored_reading>> sql_reading_store::latest() {
    const std::string sql = "SELECT id, soc, solar_w, lux, " + time_column(db_.kind(), "created_at") +
                            " FROM sun_data_realtime ORDER BY id DESC LIMIT 1";
    return db_.read<std::optional<domain::stored_reading>>(
        [sql](soci::session& s) -> std::optional<domain::stored_reading> {
            long long id = 0;
            domain::reading v;
            std::string ts;
            s << sql, soci::into(id), soci::into(v.soc), soci::into(v.solar_w), soci::into(v.lux), soci::into(ts);
            if (!s.got_data()) return std::nullopt;
            return domain::stored_reading{id, v, from_db_time(ts)};
        });
}

asio::awaitable<std::optional<domain::relay_state>> sql_relay_store::current() {
    return db_.read<std::optional<domain::relay_state>>(
        [](soci::session& s) -> std::optional<domain::relay_state> {
            int a = 0, b = 0, c = 0, d = 0;
            s << "SELECT A, B, C, D FROM relay_status ORDER BY id DESC LIMIT 1", soci::into(a), soci::into(b),
                soci::into(c), soci::into(d);
            if (!s.got_data()) return std::nullopt;
            return domain::relay_state{{a != 0, b != 0, c != 0, d != 0}};
        });
}

asio::awaitable<std::int64_t> sql_relay_store::append(domain::relay_state st, domain::time_point at,
                                                      std::string source) {
    return db_.write<std::int64_t>([st, at, source = std::move(source)](soci::session& s) {
        int a = st.on[0], b = st.on[1], c = st.on[2], d = st.on[3];
        std::string ts = to_db_time(at), src = source;
        s << "INSERT INTO relay_status (A, B, C, D, source, created_at) VALUES (:a, :b, :c, :d, :src, :ts)",
            soci::use(a), soci::use(b), soci::use(c), soci::use(d), soci::use(src), soci::use(ts);
        long long id = 0;
        s.get_last_insert_id("relay_status", id);
        return static_cast<std::int64_t>(id);
    });
}

}  // namespace solgrid::storage
