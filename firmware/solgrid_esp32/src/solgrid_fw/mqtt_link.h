// The board on MQTT (SOLGRID_MQTT; docs/mqtt.md): topic names, the connect
// sequence (last will "offline" on .../status, then "online", retained; a
// subscription to .../relay/set and to solgrid's own .../server/status; the
// retained .../relay/state), readings to .../telemetry, and what arriving
// messages mean. The MQTT client itself is behind mqtt_transport, whose
// calls are PubSubClient's, so the sketch wraps PubSubClient and the host
// tests a recording fake. Portable C++17, no Arduino headers, no allocation;
// one thread (the sketch's loop()).
#pragma once

#include "protocol.h"

#include <cstddef>
#include <cstdint>

namespace solgrid_fw {

// PubSubClient's calls, as the link uses them.
class mqtt_transport {
public:
    virtual ~mqtt_transport() = default;
    virtual bool connect(const char* client_id, const char* user, const char* password, const char* will_topic,
                         std::uint8_t will_qos, bool will_retain, const char* will_message) = 0;
    virtual bool connected() = 0;
    virtual bool publish(const char* topic, const char* payload, bool retained) = 0;
    virtual bool subscribe(const char* topic, std::uint8_t qos) = 0;
};

constexpr std::size_t max_topic = 160;

// solgrid/<site>/<device>/…; site and device are 1–64 of [A-Za-z0-9_-].
struct mqtt_topics {
    char telemetry[max_topic];
    char status[max_topic];
    char relay_set[max_topic];
    char relay_state[max_topic];
    char server_status[max_topic];
};

// False if `site` or `device` is not a valid topic level.
bool build_mqtt_topics(mqtt_topics& out, const char* site, const char* device);

// {"A":true,"B":false,"C":false,"D":false,"version":N}: the retained relay/state.
int build_relay_state_json(char* buf, std::size_t cap, const relay_set& relays, std::int64_t relay_version);

class mqtt_link {
public:
    // `user` / `password` may be null or empty (anonymous). Check valid() after.
    mqtt_link(mqtt_transport& t, const char* site, const char* device, const char* user, const char* password);

    bool valid() const { return valid_; }
    const mqtt_topics& topics() const { return topics_; }

    // Connects if not connected (the caller paces retries): will, "online",
    // subscriptions, and the current relay state. True when connected.
    bool ensure_connected(const relay_set& relays, std::int64_t relay_version);

    // One reading (the sensor POST's JSON) to .../telemetry. False if not sent.
    bool publish_reading(const reading& r, const relay_set& relays, std::int64_t relay_version,
                         const double* meter_wh = nullptr);
    bool publish_relay_state(const relay_set& relays, std::int64_t relay_version);

    enum class message { ignored, command, bad_command, server_online, server_offline };
    // An arriving message: a relay/set command (read into `out`, merged into
    // `current`) or solgrid's own status. `problem` says why a command was bad.
    message on_message(const char* topic, const std::uint8_t* payload, std::size_t len, const relay_set& current,
                       relay_command& out, const char** problem);

    // Whether solgrid said it is online (its retained status / last will).
    bool server_online() const { return server_online_; }

private:
    mqtt_transport& t_;
    mqtt_topics topics_{};
    char client_id_[96] = {};
    const char* user_;
    const char* password_;
    bool valid_ = false;
    bool server_online_ = false;
    char buf_[512] = {};
};

}  // namespace solgrid_fw
