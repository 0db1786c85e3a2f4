// Sensor readings: validate, store, remember the newest, announce it as
// `new_sun_data`. Any thread may call; the newest reading is cached under a
// mutex so `latest()` never touches the database once warm.
#pragma once

#include "domain/ports.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>

namespace solgrid::domain {

class readings_service {
public:
    readings_service(reading_store& store, notifier& events) : store_(store), events_(events) {}

    // Loads the newest stored reading into the cache (call once at start).
    asio::awaitable<void> warm_up();

    // Stores `r` (already checked with check()), then broadcasts it.
    // Throws storage_unavailable if the database cannot take it.
    asio::awaitable<stored_reading> record(reading r);

    std::optional<stored_reading> latest() const;

    // Readings stored by this process since it started (for /metrics).
    std::uint64_t stored_count() const { return stored_.load(std::memory_order_relaxed); }

    // The `new_sun_data` payload: {soc, solar_w, lux, timestamp}.
    static boost::json::object to_json(const stored_reading& r);

private:
    void remember(const stored_reading& r);

    reading_store& store_;
    notifier& events_;
    mutable std::mutex mutex_;
    std::optional<stored_reading> latest_;
    std::atomic<std::uint64_t> stored_{0};
};

}  // namespace solgrid::domain
