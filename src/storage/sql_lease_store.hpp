// The lease_store port over the `leases` table (migration step 7), for both
// dialects. Every call is a short transaction of its own (write_alone) with
// one locking statement, so racing instances cannot deadlock each other.
// Time is the database's: MySQL's UTC_TIMESTAMP(3) (instances on several
// hosts agree however their clocks drift), SQLite's 'now' (one file means
// one host, one clock). Any executor may await it; failures as database.
#pragma once

#include "domain/lease.hpp"
#include "storage/database.hpp"

namespace solgrid::storage {

class sql_lease_store final : public domain::lease_store {
public:
    explicit sql_lease_store(database& db) : db_(db) {}
    asio::awaitable<domain::lease_claim> try_acquire(std::string name, std::string holder,
                                                     std::chrono::milliseconds ttl) override;
    asio::awaitable<void> release(std::string name, std::string holder) override;

private:
    asio::awaitable<int> release_job(std::string name, std::string holder);
    database& db_;
};

}  // namespace solgrid::storage
