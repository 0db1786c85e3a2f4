#include "app/device_link.hpp"

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
    if (arduino_url_.empty()) {
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
    relays.push_commands_to([c = commander_.get()](domain::relay_command cmd) { c->submit(cmd); });
    spdlog::info("relay commands go to {}/relay (timeout {} ms, {} attempts)", url->to_string(),
                 cfg.device_timeout.count(), cfg.device_retries);
}

void device_link::add_routes(http_api::router& r) {
    http_api::add_device_routes(r, {relays_, monitor_, gateway_.get(), arduino_url_});
}

void device_link::start() {
    asio::co_spawn(ioc_, monitor_.run(), asio::detached);
    if (commander_) {
        commander_->start();
        // The device may have restarted, or missed changes while we were down.
        commander_->submit(relays_.desired());
    }
}

void device_link::stop() {
    monitor_.stop();
    if (commander_) commander_->stop();
}

}  // namespace solgrid::app
