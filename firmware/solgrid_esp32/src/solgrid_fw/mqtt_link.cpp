#include "mqtt_link.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace solgrid_fw {
namespace {

bool valid_level(const char* s) {
    if (!s) return false;
    std::size_t n = std::strlen(s);
    if (n == 0 || n > 64) return false;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool same(const std::uint8_t* payload, std::size_t len, const char* word) {
    std::size_t n = std::strlen(word);
    return len == n && std::memcmp(payload, word, n) == 0;
}

}  // namespace

bool build_mqtt_topics(mqtt_topics& out, const char* site, const char* device) {
    if (!valid_level(site) || !valid_level(device)) return false;
    std::snprintf(out.telemetry, max_topic, "solgrid/%s/%s/telemetry", site, device);
    std::snprintf(out.status, max_topic, "solgrid/%s/%s/status", site, device);
    std::snprintf(out.relay_set, max_topic, "solgrid/%s/%s/relay/set", site, device);
    std::snprintf(out.relay_state, max_topic, "solgrid/%s/%s/relay/state", site, device);
    std::snprintf(out.server_status, max_topic, "solgrid/%s/server/status", site);
    return true;
}

int build_relay_state_json(char* buf, std::size_t cap, const relay_set& relays, std::int64_t relay_version) {
    if (!buf || cap == 0) return -1;
    int n = std::snprintf(buf, cap, "{\"A\":%s,\"B\":%s,\"C\":%s,\"D\":%s,\"version\":%" PRId64 "}",
                          relays.on[0] ? "true" : "false", relays.on[1] ? "true" : "false",
                          relays.on[2] ? "true" : "false", relays.on[3] ? "true" : "false", relay_version);
    if (n < 0 || static_cast<std::size_t>(n) >= cap) {
        buf[0] = '\0';
        return -1;
    }
    return n;
}

mqtt_link::mqtt_link(mqtt_transport& t, const char* site, const char* device, const char* user, const char* password)
    : t_(t), user_(user && *user ? user : nullptr), password_(password && *password ? password : nullptr) {
    valid_ = build_mqtt_topics(topics_, site, device);
    if (valid_) std::snprintf(client_id_, sizeof client_id_, "solgrid-%s", device);
}

bool mqtt_link::ensure_connected(const relay_set& relays, std::int64_t relay_version) {
    if (!valid_) return false;
    if (t_.connected()) return true;
    server_online_ = false;  // until its retained status arrives again
    if (!t_.connect(client_id_, user_, password_, topics_.status, 1, true, "offline")) return false;
    t_.publish(topics_.status, "online", true);
    t_.subscribe(topics_.relay_set, 1);
    t_.subscribe(topics_.server_status, 1);
    publish_relay_state(relays, relay_version);
    return true;
}

bool mqtt_link::publish_reading(const reading& r, const relay_set& relays, std::int64_t relay_version,
                                const double* meter_wh) {
    if (!valid_ || !t_.connected()) return false;
    int n = build_reading_json(buf_, sizeof buf_, r, relays, relay_version, meter_wh);
    return n > 0 && t_.publish(topics_.telemetry, buf_, false);
}

bool mqtt_link::publish_relay_state(const relay_set& relays, std::int64_t relay_version) {
    if (!valid_) return false;
    int n = build_relay_state_json(buf_, sizeof buf_, relays, relay_version);
    return n > 0 && t_.publish(topics_.relay_state, buf_, true);
}

mqtt_link::message mqtt_link::on_message(const char* topic, const std::uint8_t* payload, std::size_t len,
                                         const relay_set& current, relay_command& out, const char** problem) {
    if (!valid_ || !topic) return message::ignored;
    if (std::strcmp(topic, topics_.server_status) == 0) {
        if (same(payload, len, "online")) return server_online_ = true, message::server_online;
        if (same(payload, len, "offline")) return server_online_ = false, message::server_offline;
        return message::ignored;
    }
    if (std::strcmp(topic, topics_.relay_set) != 0 || len == 0) return message::ignored;
    if (parse_relay_command(reinterpret_cast<const char*>(payload), len, current, out, problem) != command_error::none)
        return message::bad_command;
    return message::command;
}

}  // namespace solgrid_fw
