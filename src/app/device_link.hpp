// The device side of `solgrid serve`, wired here in app/ (it joins device/,
// domain/ and http/ parts, which none of those layers may do itself), built
// from the config in one piece so the server only has to hold it: health tracking (device_monitor), and when
// ARDUINO_URL is set the HTTP gateway and the relay commander that pushes
// every desired-state change to it. Also provides the device routes; its
// monitor takes sensor posts (domain::sensor_ingest). Construct on the main thread before the server runs
// (it hooks relay_service then); start() once the io_context is about to
// run; stop() from the shutdown path. Throws std::runtime_error from the
// constructor if ARDUINO_URL cannot be used. With MQTT_URL set,
// attach_mqtt() (once the sensor ingest exists, before start()) adds the
// MQTT bridge (mqtt/bridge.hpp): relay commands then go to it as well, and
// it mirrors events to its state topics; it throws if MQTT_CA_FILE is unusable.
#pragma once

#include "config/config.hpp"
#include "device/http_device_gateway.hpp"
#include "domain/device_commander.hpp"
#include "domain/device_monitor.hpp"
#include "domain/relay_service.hpp"
#include "http/device_routes.hpp"
#include "mqtt/bridge.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace solgrid::app {

class fanout_notifier;
namespace asio = boost::asio;

class device_link {
public:
    device_link(const config::config& cfg, asio::io_context& ioc, domain::relay_service& relays,
                domain::notifier& events);

    void add_routes(http_api::router& r);
    void attach_mqtt(const config::config& cfg, fanout_notifier& events, mqtt::bridge_context ctx);

    void start();
    void stop();

    domain::device_monitor& monitor() { return monitor_; }
    // The MQTT bridge when MQTT_URL is set (for /metrics), else null.
    const mqtt::bridge* mqtt() const { return mqtt_.get(); }

private:
    asio::io_context& ioc_;
    domain::relay_service& relays_;
    std::string arduino_url_;
    domain::device_monitor monitor_;
    std::unique_ptr<device::http_device_gateway> gateway_;
    std::unique_ptr<domain::device_commander> commander_;
    std::unique_ptr<mqtt::bridge> mqtt_;
};

}  // namespace solgrid::app
