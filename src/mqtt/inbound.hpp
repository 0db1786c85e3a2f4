// Reads one inbound MQTT message (topic + payload) into what it means for
// solgrid: a sensor post checked exactly as POST /api/data/solar checks it
// (strict JSON, then domain::parse_sensor_post), a relay report, an
// online/offline word, or a Home Assistant ON/OFF. Pure; any thread. A topic
// that is not ours is nullopt; an unusable payload comes back with `problem`
// set (a sentence for the log, naming the field) and nothing else.
#pragma once

#include "domain/sensor_ingest.hpp"
#include "mqtt/topics.hpp"

namespace solgrid::mqtt {

struct inbound {
    inbound_topic where;
    std::optional<domain::sensor_post> telemetry;  // telemetry
    std::optional<domain::relay_report> relays;    // relay_state
    std::optional<bool> online;                    // status
    std::optional<bool> on;                        // switch_set
    bool cleared = false;    // an empty payload: a retained message being deleted (ignored quietly)
    std::string problem;     // set when the payload is unusable
};

// Payloads beyond this are refused unread (a sensor post is ~100 bytes).
inline constexpr std::size_t max_payload_bytes = 64 * 1024;

std::optional<inbound> read_inbound(std::string_view site, std::string_view topic, std::string_view payload,
                                    const domain::reading_limits& limits);

}  // namespace solgrid::mqtt
