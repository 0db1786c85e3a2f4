// The device side of the REST API:
//   GET /api/arduino/check   actively probes GET {ARDUINO_URL}/status (with a
//                            timeout) and says reachable / latency / the
//                            device's own report; "not configured" without
//                            ARDUINO_URL, plus what sensor posts tell.
//   GET /api/arduino/status  health from sensor posts (online, last_seen, …).
// (What a sensor POST means for the device is domain::sensor_ingest's job.)
// Routes are added before the server starts; handlers then run
// concurrently on connection strands and never block (the probe is awaited).
#pragma once

#include "domain/device_gateway.hpp"
#include "domain/device_monitor.hpp"
#include "domain/relay_service.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

struct device_context {
    domain::relay_service& relays;
    domain::device_monitor& monitor;
    domain::device_gateway* gateway = nullptr;  // null: ARDUINO_URL not set
    std::string arduino_url;
};

void add_device_routes(router& r, device_context ctx);

}  // namespace solgrid::http_api
