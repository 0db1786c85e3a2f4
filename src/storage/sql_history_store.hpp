// SOCI implementation of domain::history_store over storage::database, for
// both dialects: raw readings from sun_data_realtime, roll-ups in
// sun_data_hourly. Any executor may await it; database errors surface as
// domain::storage_unavailable. Each roll_up_hour() is one transaction of its
// own on the writer (never batched with sensor inserts); delete_raw_before()
// deletes in chunks so sensor writes are never held up for long.
#pragma once

#include "domain/history.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

class sql_history_store final : public domain::history_store {
public:
    explicit sql_history_store(database& db) : db_(db) {}

    asio::awaitable<std::vector<domain::stored_reading>> raw(domain::time_point from, domain::time_point to,
                                                            std::size_t limit) override;
    asio::awaitable<std::vector<domain::bucket_summary>> hourly(domain::time_point from, domain::time_point to,
                                                               std::size_t limit) override;
    asio::awaitable<std::vector<domain::time_point>> unrolled_hours(domain::time_point before) override;
    asio::awaitable<bool> roll_up_hour(domain::time_point start, domain::gap_rule rule,
                                       domain::time_point now) override;
    asio::awaitable<std::size_t> delete_raw_before(domain::time_point cutoff) override;

    // Rows deleted per transaction by delete_raw_before().
    static constexpr std::size_t delete_chunk = 5000;

private:
    database& db_;
};

}  // namespace solgrid::storage
