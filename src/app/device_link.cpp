#include "app/device_link.hpp"

#include "app/fanout_notifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace solgrid::app {

device_link::device_link(const config::config& cfg, asio::io_context& ioc, domain::relay_service& relays,
                         domain::notifier& events)
    : ioc_(ioc),
      relays_(relays),
      arduino_url_(cfg.arduino_url),
      monitor_(events, cfg.device_interval, cfg.device_offline_after) {
    // Every desired-state change goes to the HTTP commander and/or the MQTT bridge.
    if (!arduino_url_.empty() || !cfg.mqtt_url.empty())
        relays.push_commands_to([this](domain::relay_command cmd) {
            if (commander_) commander_->submit(cmd);
            if (mqtt_) mqtt_->command(cmd);
        });
    if (arduino_url_.empty()) {
        if (cfg.mqtt_url.empty())
            spdlog::info("ARDUINO_URL not set: relay changes reach a device only through its sensor-post replies");
        return;
    }
    std::string why;
    auto url = device::parse_base_url(arduino_url_, &why);
    if (!url) throw std::runtime_error("ARDUINO_URL: " + why);
    gateway_ = std::make_unique<device::http_device_gateway>(*url, cfg.device_timeout);
    domain::device_commander::options opts;
    opts.max_attempts = cfg.device_retries;
    opts.backoff.base = cfg.device_backoff;
    opts.backoff.cap = cfg.device_backoff * 16;
    commander_ = std::make_unique<domain::device_commander>(ioc.get_executor(), *gateway_, relays, opts);
    spdlog::info("relay commands go to {}/relay (timeout {} ms, {} attempts)", url->to_string(),
                 cfg.device_timeout.count(), cfg.device_retries);
}

void device_link::add_routes(http_api::router& r) {
    http_api::add_device_routes(r, {relays_, monitor_, gateway_.get(), arduino_url_});
}

void device_link::attach_mqtt(const config::config& cfg, fanout_notifier& events, mqtt::bridge_context ctx) {
    if (cfg.mqtt_url.empty()) return;
    mqtt::bridge_settings s;
    s.connection.host = cfg.mqtt_host;
    s.connection.port = cfg.mqtt_port;
    s.connection.tls = cfg.mqtt_tls;
    s.connection.ca_file = cfg.mqtt_ca_file;
    s.connection.username = cfg.mqtt_username;
    s.connection.password = cfg.mqtt_password;
    s.site = cfg.site_id;
    s.device = cfg.mqtt_device;
    s.discovery = cfg.mqtt_discovery;
    s.discovery_prefix = cfg.mqtt_discovery_prefix;
    s.limits = {cfg.solar_w_max, cfg.lux_max};
    s.battery_capacity_wh = cfg.battery_capacity_wh;
    mqtt_ = std::make_unique<mqtt::bridge>(ioc_.get_executor(), std::move(s), std::move(ctx));
    events.add_sink([m = mqtt_.get()](const std::vector<std::string>& rooms, const std::string& event,
                                      const boost::json::value& payload) {
        if (rooms.empty()) m->on_event(event, payload);
    });
}

void device_link::start() {
    if (mqtt_) mqtt_->start();
    asio::co_spawn(ioc_, monitor_.run(), asio::detached);
    if (commander_) {
        commander_->start();
        // The device may have restarted, or missed changes while we were down.
        commander_->submit(relays_.desired());
    }
}

void device_link::stop() {
    monitor_.stop();
    if (mqtt_) mqtt_->stop();
    if (commander_) commander_->stop();
}

}  // namespace solgrid::app
