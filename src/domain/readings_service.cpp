#include "domain/readings_service.hpp"

#include <boost/json.hpp>

namespace solgrid::domain {

asio::awaitable<void> readings_service::warm_up() {
    auto newest = co_await store_.latest();
    if (newest) remember(*newest);
}

asio::awaitable<stored_reading> readings_service::record(reading r) {
    auto stored = co_await store_.append(r, clock::now());
    stored_.fetch_add(1, std::memory_order_relaxed);
    remember(stored);
    events_.publish("new_sun_data", to_json(stored));
    co_return stored;
}

std::optional<stored_reading> readings_service::latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

void readings_service::remember(const stored_reading& r) {
    std::lock_guard lock(mutex_);
    // Concurrent posts may commit in one order and resume in another.
    if (!latest_ || r.id > latest_->id) latest_ = r;
}

boost::json::object readings_service::to_json(const stored_reading& r) {
    boost::json::object o;
    o["soc"] = r.value.soc;
    o["solar_w"] = r.value.solar_w;  // printed as 120, not 1.2E2: common::json_text
    o["lux"] = r.value.lux;
    o["timestamp"] = to_iso8601(r.at);
    return o;
}

}  // namespace solgrid::domain
