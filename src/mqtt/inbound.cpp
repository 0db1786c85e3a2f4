#include "mqtt/inbound.hpp"

#include "common/json_parse.hpp"
#include "domain/device_protocol.hpp"

namespace solgrid::mqtt {
namespace {

std::string named(const domain::rule_violation& v) {
    if (v.field.empty() || v.message.find(v.field) != std::string::npos) return v.message;
    return v.field + ": " + v.message;
}

}  // namespace

std::optional<inbound> read_inbound(std::string_view site, std::string_view topic, std::string_view payload,
                                    const domain::reading_limits& limits) {
    auto where = parse_topic(site, topic);
    if (!where) return std::nullopt;
    inbound in{*where};
    if (payload.empty()) {
        in.cleared = true;
        return in;
    }
    if (payload.size() > max_payload_bytes) {
        in.problem = "payload of " + std::to_string(payload.size()) + " bytes is over the " +
                     std::to_string(max_payload_bytes) + "-byte limit";
        return in;
    }
    switch (where->kind) {
        case inbound_kind::telemetry: {
            auto parsed = common::parse_json_strict(payload);
            if (!parsed.value) {
                in.problem = named({parsed.duplicate_key, parsed.error});
                break;
            }
            auto post = domain::parse_sensor_post(*parsed.value, limits);
            if (post.value) in.telemetry = std::move(*post.value);
            else in.problem = named(post.problem);
            break;
        }
        case inbound_kind::relay_state: {
            auto parsed = common::parse_json_strict(payload);
            if (!parsed.value) {
                in.problem = named({parsed.duplicate_key, parsed.error});
                break;
            }
            auto found = domain::find_relay_report(*parsed.value, true);
            if (found.problem) in.problem = named(*found.problem);
            else if (!found.value) in.problem = "no relay state: expected {\"A\":true,…,\"version\":N} or {\"relays\":{…}}";
            else in.relays = found.value;
            break;
        }
        case inbound_kind::status:
            in.online = parse_online(payload);
            if (!in.online) in.problem = "status must be online or offline";
            break;
        case inbound_kind::switch_set:
            in.on = parse_switch(payload);
            if (!in.on) in.problem = "command must be ON or OFF";
            break;
    }
    return in;
}

}  // namespace solgrid::mqtt
