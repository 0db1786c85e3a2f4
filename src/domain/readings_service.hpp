// Sensor readings: validate, store, remember the newest, announce it as
// `new_sun_data`. Any thread may call; the newest reading is cached under a
// mutex so `latest()` never touches the database once warm.
#pragma once

#include "domain/ports.hpp"

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

    // The `new_sun_data` payload: {soc, solar_w, lux, timestamp}.
    static boost::json::object to_json(const stored_reading& r);

private:
    void remember(const stored_reading& r);

    reading_store& store_;
    notifier& events_;
    mutable std::mutex mutex_;
    std::optional<stored_reading> latest_;
};

}  // namespace solgrid::domain
