#include "storage/sql_history_store.hpp"

#include "storage/sql_stores.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <set>

namespace solgrid::storage {

namespace {

constexpr std::size_t fetch_batch = 2000;

// Readings with from <= created_at <= to, oldest first (ties by id).
std::vector<domain::stored_reading> select_raw(soci::session& s, dialect d, const std::string& from,
                                               const std::string& to, std::size_t limit) {
    const std::string sql = "SELECT id, soc, solar_w, lux, " + time_column(d, "created_at") +
                            " FROM sun_data_realtime WHERE created_at >= :f AND created_at <= :t"
                            " ORDER BY created_at, id LIMIT " +
                            std::to_string(limit);
    std::vector<long long> ids(fetch_batch);
    std::vector<int> socs(fetch_batch);
    std::vector<double> watts(fetch_batch), luxes(fetch_batch);
    std::vector<std::string> times(fetch_batch);
    std::string f = from, t = to;
    soci::statement st = (s.prepare << sql, soci::into(ids), soci::into(socs), soci::into(watts),
                          soci::into(luxes), soci::into(times), soci::use(f), soci::use(t));
    std::vector<domain::stored_reading> out;
    st.execute();
    while (st.fetch()) {
        for (std::size_t i = 0; i < ids.size(); ++i)
            out.push_back({ids[i], {socs[i], watts[i], luxes[i]}, from_db_time(times[i])});
        ids.resize(fetch_batch);
        socs.resize(fetch_batch);
        watts.resize(fetch_batch);
        luxes.resize(fetch_batch);
        times.resize(fetch_batch);
    }
    return out;
}

bool duplicate_key(const soci::soci_error& e) {
    if (auto* m = dynamic_cast<const soci::mysql_soci_error*>(&e)) return m->err_num_ == 1062;  // ER_DUP_ENTRY
    if (auto* q = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) return (q->result() & 0xff) == 19;
    return false;
}

}  // namespace

asio::awaitable<std::vector<domain::stored_reading>> sql_history_store::raw(domain::time_point from,
                                                                           domain::time_point to,
                                                                           std::size_t limit) {
    return db_.read<std::vector<domain::stored_reading>>(
        [d = db_.kind(), f = to_db_time(from), t = to_db_time(to), limit](soci::session& s) {
            return select_raw(s, d, f, t, limit);
        });
}

asio::awaitable<std::vector<domain::bucket_summary>> sql_history_store::hourly(domain::time_point from,
                                                                              domain::time_point to,
                                                                              std::size_t limit) {
    const std::string sql = "SELECT " + time_column(db_.kind(), "hour_start") +
                            ", samples, soc_avg, soc_min, soc_max, solar_w_avg, solar_w_max, solar_wh,"
                            " lux_avg, lux_max, coverage_s FROM sun_data_hourly"
                            " WHERE hour_start >= :f AND hour_start <= :t ORDER BY hour_start LIMIT " +
                            std::to_string(limit);
    return db_.read<std::vector<domain::bucket_summary>>(
        [sql, f = to_db_time(from), t = to_db_time(to)](soci::session& s) {
            const std::size_t n = fetch_batch;
            std::vector<std::string> starts(n);
            std::vector<long long> samples(n);
            std::vector<int> soc_min(n), soc_max(n);
            std::vector<double> soc_avg(n), w_avg(n), w_max(n), wh(n), lux_avg(n), lux_max(n), coverage(n);
            std::vector<soci::indicator> coverage_ind(n);
            std::string from_s = f, to_s = t;
            soci::statement st =
                (s.prepare << sql, soci::into(starts), soci::into(samples), soci::into(soc_avg), soci::into(soc_min),
                 soci::into(soc_max), soci::into(w_avg), soci::into(w_max), soci::into(wh), soci::into(lux_avg),
                 soci::into(lux_max), soci::into(coverage, coverage_ind), soci::use(from_s), soci::use(to_s));
            std::vector<domain::bucket_summary> out;
            st.execute();
            while (st.fetch()) {
                for (std::size_t i = 0; i < starts.size(); ++i) {
                    // NULL: rolled up before coverage was recorded (migration 3).
                    std::optional<double> cov;
                    if (coverage_ind[i] == soci::i_ok) cov = coverage[i];
                    out.push_back({from_db_time(starts[i]), samples[i], soc_avg[i], soc_min[i], soc_max[i], w_avg[i],
                                   w_max[i], wh[i], lux_avg[i], lux_max[i], cov});
                }
                for (auto* v : {&soc_avg, &w_avg, &w_max, &wh, &lux_avg, &lux_max, &coverage}) v->resize(n);
                coverage_ind.resize(n);
                starts.resize(n);
                samples.resize(n);
                soc_min.resize(n);
                soc_max.resize(n);
            }
            return out;
        });
}

asio::awaitable<std::vector<domain::time_point>> sql_history_store::unrolled_hours(domain::time_point before) {
    const auto d = db_.kind();
    const std::string hours_sql =
        d == dialect::mysql
            ? "SELECT DISTINCT DATE_FORMAT(created_at, '%Y-%m-%d %H') AS h FROM sun_data_realtime"
              " WHERE created_at < :b ORDER BY h"
            : "SELECT DISTINCT substr(created_at, 1, 13) AS h FROM sun_data_realtime WHERE created_at < :b ORDER BY h";
    const std::string rolled_sql = "SELECT " + time_column(d, "hour_start") +
                                   " FROM sun_data_hourly WHERE hour_start >= :a AND hour_start < :b";
    return db_.read<std::vector<domain::time_point>>([hours_sql, rolled_sql, b = to_db_time(before)](
                                                         soci::session& s) {
        std::vector<domain::time_point> hours;
        {
            std::string bound = b;
            soci::rowset<std::string> rows = (s.prepare << hours_sql, soci::use(bound));
            for (const auto& h : rows) hours.push_back(from_db_time(h + ":00:00"));
        }
        if (hours.empty()) return hours;
        std::set<domain::time_point> rolled;
        {
            std::string a = to_db_time(hours.front()), bound = b;
            soci::rowset<std::string> rows = (s.prepare << rolled_sql, soci::use(a), soci::use(bound));
            for (const auto& h : rows) rolled.insert(from_db_time(h));
        }
        std::erase_if(hours, [&](domain::time_point h) { return rolled.count(h) > 0; });
        return hours;
    });
}

asio::awaitable<bool> sql_history_store::roll_up_hour(domain::time_point start, domain::gap_rule rule,
                                                      domain::time_point now) {
    return db_.write_alone<bool>([d = db_.kind(), start, rule, now](soci::session& s) {
        std::string hs = to_db_time(start);
        int present = 0;
        s << "SELECT COUNT(*) FROM sun_data_hourly WHERE hour_start = :h", soci::use(hs), soci::into(present);
        if (present > 0) return false;
        const auto margin = rule.margin();
        auto rows = select_raw(s, d, to_db_time(start - margin), to_db_time(start + domain::one_hour + margin),
                               std::numeric_limits<int>::max());
        std::vector<domain::timed_reading> window;
        window.reserve(rows.size());
        for (const auto& r : rows) window.push_back({r.at, r.value});
        auto sum = domain::summarize(window, start, domain::one_hour, rule);
        if (!sum) return false;
        std::string created = to_db_time(now);
        long long samples = sum->samples;
        double coverage = sum->coverage_s.value_or(0.0);
        try {
            s << "INSERT INTO sun_data_hourly (hour_start, samples, soc_avg, soc_min, soc_max, solar_w_avg,"
                 " solar_w_max, solar_wh, lux_avg, lux_max, coverage_s, created_at)"
                 " VALUES (:h, :n, :sa, :smin, :smax, :wa, :wmax, :wh, :la, :lmax, :cov, :c)",
                soci::use(hs), soci::use(samples), soci::use(sum->soc_avg), soci::use(sum->soc_min),
                soci::use(sum->soc_max), soci::use(sum->solar_w_avg), soci::use(sum->solar_w_max),
                soci::use(sum->solar_wh), soci::use(sum->lux_avg), soci::use(sum->lux_max), soci::use(coverage),
                soci::use(created);
        } catch (const soci::soci_error& e) {
            // Another run (or instance) committed this hour since our check.
            if (duplicate_key(e)) return false;
            throw;
        }
        return true;
    });
}

asio::awaitable<std::size_t> sql_history_store::delete_raw_before(domain::time_point cutoff) {
    const std::string sql =
        db_.kind() == dialect::mysql
            ? "DELETE FROM sun_data_realtime WHERE created_at < :c ORDER BY created_at LIMIT " +
                  std::to_string(delete_chunk)
            : "DELETE FROM sun_data_realtime WHERE id IN (SELECT id FROM sun_data_realtime"
              " WHERE created_at < :c ORDER BY created_at LIMIT " +
                  std::to_string(delete_chunk) + ")";
    const auto chunk = [sql, c = to_db_time(cutoff)](soci::session& s) {
        std::string bound = c;
        soci::statement st = (s.prepare << sql, soci::use(bound));
        st.execute(true);
        return static_cast<long long>(st.get_affected_rows());
    };
    std::size_t total = 0;
    for (;;) {
        auto pending = db_.write_alone<long long>(chunk);
        long long n = co_await std::move(pending);
        total += static_cast<std::size_t>(n);
        if (n < static_cast<long long>(delete_chunk)) break;
    }
    co_return total;
}

}  // namespace solgrid::storage
