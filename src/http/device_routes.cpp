#include "http/device_routes.hpp"

#include "domain/device_protocol.hpp"
#include "http/json_response.hpp"

#include <boost/json.hpp>

namespace solgrid::http_api {

namespace {

// What sensor posts tell, for both endpoints.
void add_health(boost::json::object& o, const device_context& c) {
    auto health = c.monitor.status_json();
    o["online"] = health["online"];
    o["last_seen"] = health["last_seen"];
    o["health"] = std::move(health);
}

}  // namespace

void add_device_routes(router& r, device_context ctx) {
    auto c = std::make_shared<device_context>(std::move(ctx));

    r.add(http::verb::get, "/api/arduino/check", [c](request_context& rc) -> asio::awaitable<response> {
        boost::json::object o;
        if (!c->gateway) {
            o["configured"] = false;
            o["reachable"] = false;
            o["message"] = "ARDUINO_URL not configured";
            add_health(o, *c);
            co_return json(http::status::ok, o, rc.req.version());
        }
        auto probe = co_await c->gateway->probe();
        o["configured"] = true;
        o["url"] = c->arduino_url;
        o["reachable"] = probe.reachable;
        o["latency_ms"] = probe.reachable ? boost::json::value(probe.latency.count()) : boost::json::value(nullptr);
        o["device"] = probe.report;
        o["message"] = probe.reachable ? "device answered GET /status" : probe.error;
        if (probe.reachable) {
            // Its own word on its relays is as good as a sensor post's.
            auto found = domain::find_relay_report(probe.report, false);
            if (found.value) c->relays.report(*found.value);
        }
        add_health(o, *c);
        co_return json(http::status::ok, o, rc.req.version());
    });

    r.add(http::verb::get, "/api/arduino/status", [c](request_context& rc) -> asio::awaitable<response> {
        boost::json::object o = c->monitor.status_json();
        o["configured"] = c->gateway != nullptr;
        o["url"] = c->gateway ? boost::json::value(c->arduino_url) : boost::json::value(nullptr);
        o["relays"] = c->relays.status_json();
        co_return json(http::status::ok, o, rc.req.version());
    });
}

}  // namespace solgrid::http_api
