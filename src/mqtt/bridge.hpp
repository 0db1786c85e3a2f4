// solgrid on MQTT (docs/mqtt.md): joins one mqtt::client to the domain.
// Inbound (solgrid/<site>/…): telemetry goes through domain::sensor_ingest
// exactly as POST /api/data/solar does (same checks, storage, events);
// relay/state is the device's relay report; status (its last will) is its
// health; relay/<X>/set from Home Assistant switches a relay like the REST
// route (market rule, audit with source "mqtt"). Outbound: relay commands
// to solgrid/<site>/<device>/relay/set, the retained state topics and the
// Home Assistant discovery configs.
//
// Threads: the client's thread only copies a message into a bounded queue
// (beyond `max_queued` it is dropped and counted); one drain coroutine on
// the bridge's strand handles them in arrival order. command() and
// on_event() may be called from any thread, even under the relay service's
// lock: they only post. Nothing here waits on the network. A bad message is
// dropped with a throttled warning; nothing throws out of the handlers.
#pragma once

#include "common/log_throttle.hpp"
#include "domain/device_monitor.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "domain/sensor_ingest.hpp"
#include "mqtt/client.hpp"
#include "mqtt/inbound.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include <deque>
#include <memory>
#include <set>

namespace solgrid::mqtt {

namespace asio = boost::asio;

struct bridge_settings {
    client::options connection;  // subscriptions and will are filled in by the bridge
    std::string site = "default";
    std::string device;           // MQTT_DEVICE: the only command target; empty = every device seen
    bool discovery = true;
    std::string discovery_prefix = "homeassistant";
    domain::reading_limits limits;
    double battery_capacity_wh = 10000.0;
    std::size_t max_queued = 1024;
    std::size_t max_devices = 32;  // command targets remembered when MQTT_DEVICE is empty
};

struct bridge_context {
    domain::readings_service& readings;
    domain::relay_service& relays;
    domain::sensor_ingest& ingest;
    domain::device_monitor& monitor;
    // The market's delivery rule (api_context::relay_block); may be empty.
    std::function<std::optional<std::string>(std::size_t)> relay_block;
    // An audit row for a Home Assistant relay command (target "A=on", outcome "ok"/"denied", detail); may be empty.
    std::function<asio::awaitable<void>(std::string, std::string, std::string)> audit;
};

class bridge {
public:
    bridge(asio::any_io_executor ex, bridge_settings settings, bridge_context ctx);

    void start();
    // Publishes "offline" on solgrid's status topic and disconnects.
    void stop();

    // A new desired relay state (relay_service's command sink).
    void command(domain::relay_command cmd);
    // Every notifier event; new_sun_data and relay_status_update are mirrored to the state topics.
    void on_event(const std::string& event, const boost::json::value& payload);

    // One inbound message (the client's callback; any thread): queued, or
    // dropped and counted when `max_queued` are already waiting.
    void take(std::string topic, std::string payload);

    std::uint64_t dropped() const { return dropped_; }
    // For /metrics: messages taken off the queue, those refused (bad topic
    // or payload, or failed while handled), and whether the broker is connected.
    std::uint64_t handled() const { return handled_; }
    std::uint64_t refused() const { return refused_; }
    bool connected() const;
    const topics& names() const { return topics_; }

private:
    struct message {
        std::string topic;
        std::string payload;
    };
    asio::awaitable<void> drain();
    asio::awaitable<void> handle(const message& m);
    asio::awaitable<void> switch_relay(std::size_t household, bool on);
    void warn(const std::string& what);
    // strand only:
    void on_connected();
    void saw_device(const std::string& device);
    void send_command(const domain::relay_command& cmd);
    void publish_state(boost::json::object reading);
    void publish_switch_states();
    void publish_json(const std::string& topic, const boost::json::value& v, bool retain);

    asio::strand<asio::any_io_executor> strand_;
    bridge_settings settings_;
    bridge_context ctx_;
    topics topics_;
    std::unique_ptr<client> client_;

    std::mutex queue_mutex_;
    std::deque<message> queue_;
    bool draining_ = false;
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> handled_{0}, refused_{0};
    common::log_throttle drop_throttle_{std::chrono::seconds(10)};
    common::log_throttle warn_throttle_{std::chrono::seconds(10)};

    std::set<std::string> devices_;  // strand only
};

}  // namespace solgrid::mqtt
