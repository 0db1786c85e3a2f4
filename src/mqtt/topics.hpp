// The MQTT topic tree solgrid speaks (docs/mqtt.md), in one place: building
// topics for a site, classifying an inbound topic, the small payloads
// (online/offline, ON/OFF) and the Home Assistant discovery documents.
// Pure functions; any thread. Nothing here does I/O; a topic or payload that
// does not fit comes back as nullopt / a problem sentence, never a throw.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::mqtt {

// A topic level: 1–64 of [A-Za-z0-9_-] (SITE_ID, MQTT_DEVICE, device names).
bool valid_level(std::string_view s);

// What an inbound message is about.
enum class inbound_kind {
    telemetry,   // solgrid/<site>/<device>/telemetry: a sensor post
    relay_state, // solgrid/<site>/<device>/relay/state: the device's applied relays
    status,      // solgrid/<site>/<device>/status: online / offline (its last will)
    switch_set,  // solgrid/<site>/relay/<X>/set: ON / OFF from Home Assistant
};

struct inbound_topic {
    inbound_kind kind;
    std::string device;   // telemetry, relay_state, status
    std::size_t household = 0;  // switch_set: 0 = A … 3 = D
};

// Classifies `topic` for `site`; nullopt for anything else (another site,
// an unknown suffix, a device name that is not a valid_level, solgrid's own
// topics).
std::optional<inbound_topic> parse_topic(std::string_view site, std::string_view topic);

// What solgrid subscribes to for `site`.
std::vector<std::string> subscriptions(const std::string& site);

struct topics {
    explicit topics(std::string site, std::string discovery_prefix = "homeassistant");

    std::string site;
    std::string discovery_prefix;
    std::string server_status() const { return "solgrid/" + site + "/server/status"; }  // solgrid's LWT
    std::string state() const { return "solgrid/" + site + "/state"; }                  // latest reading
    std::string switch_state(char household) const;  // solgrid/<site>/relay/<X>/state
    std::string switch_set(char household) const;    // solgrid/<site>/relay/<X>/set
    std::string relay_set(const std::string& device) const;  // solgrid/<site>/<device>/relay/set
    std::string telemetry(const std::string& device) const;
    std::string relay_state(const std::string& device) const;
    std::string device_status(const std::string& device) const;
};

// "online" / "offline" (surrounding whitespace and case ignored).
std::optional<bool> parse_online(std::string_view payload);
// "ON" / "OFF" (also "on", "true", "1" / "off", "false", "0").
std::optional<bool> parse_switch(std::string_view payload);

// One Home Assistant discovery document and the topic it is published to.
struct discovery_config {
    std::string topic;
    boost::json::object config;
};

// The sensors (battery SoC and energy, solar power, illuminance) and the four
// relay switches, for `t.site`. `software_version` goes into the device block.
std::vector<discovery_config> discovery_configs(const topics& t, std::string_view software_version);

}  // namespace solgrid::mqtt
