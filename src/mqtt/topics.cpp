#include "mqtt/topics.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace solgrid::mqtt {
namespace {

std::vector<std::string_view> split(std::string_view topic) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto slash = topic.find('/', start);
        out.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos) return out;
        start = slash + 1;
    }
}

std::string trimmed_lower(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    std::string out;
    if (s.size() > 16) return out;
    for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

}  // namespace

bool valid_level(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

std::optional<inbound_topic> parse_topic(std::string_view site, std::string_view topic) {
    auto parts = split(topic);
    if (parts.size() < 4 || parts[0] != "solgrid" || parts[1] != site) return std::nullopt;
    if (parts.size() == 5 && parts[2] == "relay" && parts[4] == "set") {
        if (parts[3].size() != 1 || parts[3][0] < 'A' || parts[3][0] > 'D') return std::nullopt;
        return inbound_topic{inbound_kind::switch_set, {}, static_cast<std::size_t>(parts[3][0] - 'A')};
    }
    // "server" and "relay" are solgrid's own second levels, never a device.
    if (!valid_level(parts[2]) || parts[2] == "server" || parts[2] == "relay") return std::nullopt;
    std::string device(parts[2]);
    if (parts.size() == 4 && parts[3] == "telemetry") return inbound_topic{inbound_kind::telemetry, device};
    if (parts.size() == 4 && parts[3] == "status") return inbound_topic{inbound_kind::status, device};
    if (parts.size() == 5 && parts[3] == "relay" && parts[4] == "state")
        return inbound_topic{inbound_kind::relay_state, device};
    return std::nullopt;
}

std::vector<std::string> subscriptions(const std::string& site) {
    auto base = "solgrid/" + site + "/";
    return {base + "+/telemetry", base + "+/status", base + "+/relay/state", base + "relay/+/set"};
}

topics::topics(std::string s, std::string prefix) : site(std::move(s)), discovery_prefix(std::move(prefix)) {}

std::string topics::switch_state(char h) const { return "solgrid/" + site + "/relay/" + std::string(1, h) + "/state"; }
std::string topics::switch_set(char h) const { return "solgrid/" + site + "/relay/" + std::string(1, h) + "/set"; }
std::string topics::relay_set(const std::string& d) const { return "solgrid/" + site + "/" + d + "/relay/set"; }
std::string topics::telemetry(const std::string& d) const { return "solgrid/" + site + "/" + d + "/telemetry"; }
std::string topics::relay_state(const std::string& d) const { return "solgrid/" + site + "/" + d + "/relay/state"; }
std::string topics::device_status(const std::string& d) const { return "solgrid/" + site + "/" + d + "/status"; }

std::optional<bool> parse_online(std::string_view payload) {
    auto s = trimmed_lower(payload);
    if (s == "online") return true;
    if (s == "offline") return false;
    return std::nullopt;
}

std::optional<bool> parse_switch(std::string_view payload) {
    auto s = trimmed_lower(payload);
    if (s == "on" || s == "true" || s == "1") return true;
    if (s == "off" || s == "false" || s == "0") return false;
    return std::nullopt;
}

std::vector<discovery_config> discovery_configs(const topics& t, std::string_view software_version) {
    const std::string node = "solgrid_" + t.site;
    boost::json::object device{{"identifiers", boost::json::array{node}},
                               {"name", "solgrid " + t.site},
                               {"manufacturer", "solgrid"},
                               {"model", "solar + battery microgrid"},
                               {"sw_version", software_version}};
    auto common = [&](const std::string& id, std::string_view name) {
        return boost::json::object{{"name", name},
                                   {"unique_id", node + "_" + id},
                                   {"object_id", node + "_" + id},
                                   {"availability_topic", t.server_status()},
                                   {"payload_available", "online"},
                                   {"payload_not_available", "offline"},
                                   {"device", device}};
    };
    struct sensor {
        const char* field;
        const char* name;
        const char* unit;
        const char* device_class;
        const char* state_class;
    };
    static constexpr std::array<sensor, 4> sensors{{
        {"soc", "Battery state of charge", "%", "battery", "measurement"},
        {"battery_wh", "Battery energy", "Wh", "energy_storage", "measurement"},
        {"solar_w", "Solar power", "W", "power", "measurement"},
        {"lux", "Illuminance", "lx", "illuminance", "measurement"},
    }};
    std::vector<discovery_config> out;
    for (const auto& s : sensors) {
        auto c = common(s.field, s.name);
        c["state_topic"] = t.state();
        c["value_template"] = std::string("{{ value_json.") + s.field + " }}";
        c["unit_of_measurement"] = s.unit;
        c["device_class"] = s.device_class;
        c["state_class"] = s.state_class;
        out.push_back({t.discovery_prefix + "/sensor/" + node + "_" + s.field + "/config", std::move(c)});
    }
    for (char h : {'A', 'B', 'C', 'D'}) {
        std::string id = std::string("relay_") + h;
        auto c = common(id, std::string("Household ") + h + " relay");
        c["command_topic"] = t.switch_set(h);
        c["state_topic"] = t.switch_state(h);
        c["payload_on"] = "ON";
        c["payload_off"] = "OFF";
        c["state_on"] = "ON";
        c["state_off"] = "OFF";
        c["optimistic"] = false;
        c["qos"] = 1;
        c["device_class"] = "switch";
        out.push_back({t.discovery_prefix + "/switch/" + node + "_" + id + "/config", std::move(c)});
    }
    return out;
}

}  // namespace solgrid::mqtt
