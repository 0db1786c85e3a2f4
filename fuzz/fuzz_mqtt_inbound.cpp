// libFuzzer target: what solgrid makes of one inbound MQTT message
// (mqtt::read_inbound: the topic classifier, then the telemetry, relay
// report, status and ON/OFF readers), on any topic and payload bytes. The
// input is split at its first newline: topic, then payload.
// Invariants: never crash; a topic that classifies names a valid device or
// household; a message is exactly one of cleared, refused with a reason, or
// read into the one value its topic kind carries; accepted telemetry obeys
// the same limits as POST /api/data/solar.
#include "mqtt/inbound.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>

using namespace solgrid;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto nl = input.find('\n');
    std::string_view topic = input.substr(0, nl);
    std::string_view payload = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    domain::reading_limits limits{5000, 100000};
    auto in = mqtt::read_inbound("default", topic, payload, limits);
    if (!in) return 0;
    const auto& w = in->where;
    if (w.kind == mqtt::inbound_kind::switch_set) {
        if (w.household > 3) std::abort();
    } else if (!mqtt::valid_level(w.device)) {
        std::abort();
    }
    int values = in->telemetry.has_value() + in->relays.has_value() + in->online.has_value() + in->on.has_value();
    if (in->cleared) {
        if (values != 0 || !in->problem.empty() || !payload.empty()) std::abort();
        return 0;
    }
    if (in->problem.empty() != (values == 1)) std::abort();
    if (in->telemetry) {
        if (w.kind != mqtt::inbound_kind::telemetry) std::abort();
        const auto& r = in->telemetry->value;
        if (r.soc < 0 || r.soc > 100) std::abort();
        if (!std::isfinite(r.solar_w) || r.solar_w < 0 || r.solar_w > limits.solar_w_max) std::abort();
        if (!std::isfinite(r.lux) || r.lux < 0 || r.lux > limits.lux_max) std::abort();
    }
    if (in->relays && w.kind != mqtt::inbound_kind::relay_state) std::abort();
    if (in->online && w.kind != mqtt::inbound_kind::status) std::abort();
    if (in->on && w.kind != mqtt::inbound_kind::switch_set) std::abort();
    return 0;
}
