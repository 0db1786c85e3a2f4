// The one use-case behind POST /api/data/solar: a sensor post is read once
// (the reading, and the relay report a device may add), checked against the
// reading limits, stored, broadcast (readings_service), counted as a sign of
// life from the device (device_monitor), its relay report taken
// (relay_service), and answered with the desired relay state so a device
// behind NAT converges. The HTTP layer only parses the JSON text and maps
// the outcome to a status. Any thread; ingest() awaits the database's threads.
// Fails with storage_unavailable (503) / storage_refused (4xx) from the store;
// a bad document is a rule_violation naming the field, and nothing is stored.
#pragma once

#include "domain/device_gateway.hpp"
#include "domain/device_monitor.hpp"
#include "domain/market/market_service.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"

#include <boost/json/value.hpp>

namespace solgrid::domain {

struct sensor_post {
    reading value;
    std::optional<relay_report> relays;  // what the device says its relays are, if it says
    // Cumulative Wh counters per household relay A..D, when the device has meters.
    std::array<std::optional<double>, 4> meter_wh;
};

struct parsed_sensor_post {
    std::optional<sensor_post> value;
    rule_violation problem;  // set when value is empty
};

// {"soc":85,"solar_w":120,"lux":35000[,"relays":{…},"relay_version":N]
//  [,"meter_wh":{"A":1234.5,…}]}:
// soc an integer 0–100 (85.0 counts as an integer, as some microcontroller
// JSON writers print it), solar_w and lux numbers within `limits`; meter_wh
// an object whose keys are among A–D, each a number in [0, max_meter_wh]
// (a bad one is named: "meter_wh" or "meter_wh.X").
inline constexpr double max_meter_wh = 1e12;
parsed_sensor_post parse_sensor_post(const boost::json::value& doc, const reading_limits& limits);

struct ingest_result {
    stored_reading stored;
    relay_command desired;  // for the reply: where the device's relays should be
};

class sensor_ingest {
public:
    // `monitor` may be null (a server without device tracking, in tests);
    // `market` too (no settlement): each stored reading is handed to it.
    sensor_ingest(readings_service& readings, relay_service& relays, device_monitor* monitor,
                  market::market_service* market = nullptr)
        : readings_(readings), relays_(relays), monitor_(monitor), market_(market) {}

    // `from` is the poster's address (shown on the device status).
    asio::awaitable<ingest_result> ingest(sensor_post post, std::string from);

    // The reply's data: the stored reading as `new_sun_data` carries it, its
    // id, and the desired relays + relay_version.
    static boost::json::object reply_json(const ingest_result& r);

private:
    readings_service& readings_;
    relay_service& relays_;
    device_monitor* monitor_;
    market::market_service* market_;
};

}  // namespace solgrid::domain
