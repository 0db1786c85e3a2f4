#include "mqtt/bridge.hpp"

#include "domain/device_protocol.hpp"
#include "domain/energy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace solgrid::mqtt {
namespace {

constexpr const char* software_version = "solgrid";

std::string printable(std::string_view s, std::size_t max = 120) {
    std::string out;
    for (char c : s.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    if (s.size() > max) out += "…";
    return out;
}

}  // namespace

bridge::bridge(asio::any_io_executor ex, bridge_settings settings, bridge_context ctx)
    : strand_(asio::make_strand(ex)),
      settings_(std::move(settings)),
      ctx_(std::move(ctx)),
      topics_(settings_.site, settings_.discovery_prefix) {
    auto opts = settings_.connection;
    opts.subscriptions = subscriptions(settings_.site);
    opts.will_topic = topics_.server_status();
    opts.will_payload = "offline";
    if (opts.client_id.empty()) opts.client_id = "solgrid-" + settings_.site + "-" + std::to_string(::getpid());
    client::handlers h;
    h.connected = [this] { asio::post(strand_, [this] { on_connected(); }); };
    h.message = [this](std::string topic, std::string payload, bool) { take(std::move(topic), std::move(payload)); };
    client_ = std::make_unique<client>(std::move(opts), std::move(h));
}

void bridge::start() {
    spdlog::info("MQTT: site '{}' on {} (telemetry on solgrid/{}/+/telemetry, relay commands to {}, discovery {})",
                 settings_.site, client_->endpoint(), settings_.site,
                 settings_.device.empty() ? std::string("every device seen") : topics_.relay_set(settings_.device),
                 settings_.discovery ? settings_.discovery_prefix + "/…" : std::string("off"));
    client_->start();
}

void bridge::stop() { client_->stop(topics_.server_status(), "offline"); }

bool bridge::connected() const { return client_ && client_->connected(); }

void bridge::warn(const std::string& what) {
    if (auto held = warn_throttle_.admit()) spdlog::warn("MQTT: {}{}", what, common::suppressed_note(*held));
}

void bridge::take(std::string topic, std::string payload) {
    {
        std::lock_guard lock(queue_mutex_);
        if (queue_.size() < settings_.max_queued) {
            queue_.push_back({std::move(topic), std::move(payload)});
            if (draining_) return;
            draining_ = true;
        } else {
            ++dropped_;
            if (auto held = drop_throttle_.admit())
                spdlog::warn("MQTT: inbound queue full ({} messages): dropped a message on {} ({} dropped in all){}",
                             settings_.max_queued, printable(topic), dropped_.load(), common::suppressed_note(*held));
            return;
        }
    }
    asio::co_spawn(strand_, drain(), asio::detached);
}

asio::awaitable<void> bridge::drain() {
    for (;;) {
        message m;
        {
            std::lock_guard lock(queue_mutex_);
            if (queue_.empty()) {
                draining_ = false;
                co_return;
            }
            m = std::move(queue_.front());
            queue_.pop_front();
        }
        ++handled_;
        try {
            co_await handle(m);
        } catch (const std::exception& e) {
            ++refused_;
            warn("message on " + printable(m.topic) + " not taken: " + e.what());
        }
    }
}

asio::awaitable<void> bridge::handle(const message& m) {
    auto in = read_inbound(settings_.site, m.topic, m.payload, settings_.limits);
    if (!in || in->cleared) co_return;
    if (!in->problem.empty()) {
        ++refused_;
        warn("dropped the message on " + printable(m.topic) + ": " + in->problem);
        co_return;
    }
    const std::string& device = in->where.device;
    switch (in->where.kind) {
        case inbound_kind::telemetry: {
            // The same use-case as POST /api/data/solar: store, broadcast, mark seen, take relays.
            auto from = "mqtt:" + device;
            auto op = ctx_.ingest.ingest(std::move(*in->telemetry), std::move(from));
            co_await std::move(op);
            saw_device(device);
            break;
        }
        case inbound_kind::relay_state: {
            auto desired = ctx_.relays.desired();
            if (in->relays->version && *in->relays->version == desired.version)
                ctx_.relays.command_delivered(desired.version, *in->relays);
            else
                ctx_.relays.report(*in->relays);
            saw_device(device);
            break;
        }
        case inbound_kind::status:
            if (*in->online) {
                ctx_.monitor.seen("mqtt:" + device);
                saw_device(device);
            } else {
                spdlog::info("MQTT: device {} is offline (its status topic)", device);
                ctx_.monitor.gone("mqtt:" + device);
            }
            break;
        case inbound_kind::switch_set: {
            auto op = switch_relay(in->where.household, *in->on);
            co_await std::move(op);
            break;
        }
    }
}

asio::awaitable<void> bridge::switch_relay(std::size_t household, bool on) {
    std::string letter(1, domain::household_names[household]);
    std::string change = letter + "=" + (on ? "on" : "off");
    if (on && ctx_.relay_block) {
        if (auto why = ctx_.relay_block(household)) {
            std::string message = *why == "soc_floor"
                                      ? "relay " + letter + " stays off: the battery is at or below its SoC floor"
                                      : "relay " + letter + " stays off: household " + letter +
                                            "'s energy balance is 0 Wh; buy energy on the market first";
            spdlog::warn("MQTT: Home Assistant command {} refused: {}", change, message);
            if (ctx_.audit) {
                auto note = ctx_.audit(change, "denied", message);
                co_await std::move(note);
            }
            publish_switch_states();  // Home Assistant shows the relay as it is
            co_return;
        }
    }
    domain::relay_patch patch;
    patch.on[household] = on;
    try {
        auto update = ctx_.relays.update(patch, "mqtt");
        co_await std::move(update);
    } catch (const std::exception& e) {
        warn("Home Assistant command " + change + " not applied: " + e.what());
        publish_switch_states();
        co_return;
    }
    if (ctx_.audit) {
        auto note = ctx_.audit(change, "ok", "");
        co_await std::move(note);
    }
}

void bridge::command(domain::relay_command cmd) {
    asio::post(strand_, [this, cmd] { send_command(cmd); });
}

void bridge::on_event(const std::string& event, const boost::json::value& payload) {
    if (event == "new_sun_data" && payload.is_object()) {
        asio::post(strand_, [this, o = payload.as_object()]() mutable { publish_state(std::move(o)); });
    } else if (event == "relay_status_update") {
        asio::post(strand_, [this] { publish_switch_states(); });
    }
}

void bridge::on_connected() {
    if (!client_->publish(topics_.server_status(), "online", 1, true))
        warn("could not queue the server status");
    if (settings_.discovery)
        for (const auto& d : discovery_configs(topics_, software_version))
            publish_json(d.topic, d.config, true);
    if (auto latest = ctx_.readings.latest()) publish_state(domain::readings_service::to_json(*latest));
    publish_switch_states();
    // The broker may have lost the retained command (no persistence): say it again.
    send_command(ctx_.relays.desired());
}

void bridge::saw_device(const std::string& device) {
    if (!settings_.device.empty() || devices_.count(device)) return;
    if (devices_.size() >= settings_.max_devices) {
        warn("device " + device + " not added as a relay command target: " + std::to_string(settings_.max_devices) +
             " devices already (set MQTT_DEVICE)");
        return;
    }
    devices_.insert(device);
    spdlog::info("MQTT: device {} seen; relay commands go to {}", device, topics_.relay_set(device));
    auto cmd = ctx_.relays.desired();
    publish_json(topics_.relay_set(device), domain::command_json(cmd), true);
}

void bridge::send_command(const domain::relay_command& cmd) {
    auto body = domain::command_json(cmd);
    if (!settings_.device.empty()) {
        publish_json(topics_.relay_set(settings_.device), body, true);
        return;
    }
    for (const auto& d : devices_) publish_json(topics_.relay_set(d), body, true);
}

void bridge::publish_state(boost::json::object reading) {
    if (const auto* soc = reading.if_contains("soc"); soc && soc->is_int64())
        reading["battery_wh"] =
            domain::battery_energy_wh(static_cast<int>(soc->as_int64()), settings_.battery_capacity_wh);
    publish_json(topics_.state(), reading, true);
}

void bridge::publish_switch_states() {
    auto now = ctx_.relays.current();
    for (std::size_t i = 0; i < domain::household_names.size(); ++i)
        client_->publish(topics_.switch_state(domain::household_names[i]), now.on[i] ? "ON" : "OFF", 1, true);
}

void bridge::publish_json(const std::string& topic, const boost::json::value& v, bool retain) {
    auto text = boost::json::serialize(v);
    if (!client_->publish(topic, text, 1, retain)) spdlog::debug("MQTT: {} not queued", topic);
}

}  // namespace solgrid::mqtt
