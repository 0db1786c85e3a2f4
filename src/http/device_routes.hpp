// The device side of the REST API:
//   GET /api/arduino/check   actively probes GET {ARDUINO_URL}/status (with a
//                            timeout) and says reachable / latency / the
//                            device's own report; "not configured" without
//                            ARDUINO_URL, plus what sensor posts tell.
//   GET /api/arduino/status  health from sensor posts (online, last_seen, …).
// and device_post_handler, which add_api_routes calls around each sensor
// POST. Routes are added before the server starts; handlers then run
// concurrently on connection strands and never block (the probe is awaited).
#pragma once

#include "domain/device_gateway.hpp"
#include "domain/device_monitor.hpp"
#include "domain/relay_service.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

// What a sensor POST means for the device side. parse() validates the
// optional `relays` report (and `relay_version`) before the reading is
// stored; accepted() then marks the device seen, takes its report, and adds
// the desired state to the reply's data ("relays", "relay_version") so a
// device the server cannot reach (NAT) still converges. Any thread.
class device_post_handler {
public:
    device_post_handler(domain::relay_service& relays, domain::device_monitor& monitor)
        : relays_(relays), monitor_(monitor) {}

    struct parsed {
        std::optional<domain::relay_report> report;
        std::optional<domain::rule_violation> problem;  // → 400 naming the field
    };
    parsed parse(std::string_view body) const;
    void accepted(const parsed& p, const net::request_info& info, boost::json::object& reply_data);

private:
    domain::relay_service& relays_;
    domain::device_monitor& monitor_;
};

struct device_context {
    domain::relay_service& relays;
    domain::device_monitor& monitor;
    domain::device_gateway* gateway = nullptr;  // null: ARDUINO_URL not set
    std::string arduino_url;
};

void add_device_routes(router& r, device_context ctx);

}  // namespace solgrid::http_api
