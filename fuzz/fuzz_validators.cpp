// libFuzzer target: the reading, relay and order JSON validators behind
// POST /api/data/solar, POST /api/relay/update and POST /api/market/orders
// (http_api::parse_sensor_body, parse_relay_patch, parse_order_body), on
// whatever bytes a client sends as a body. An accepted order has a side, a
// whole energy_wh in 1..max and a whole price >= 0.
// Invariants: never crash; a refusal always says why; an accepted reading
// has an integer SoC in 0..100 and finite solar_w / lux within the limits it
// was checked against (also under tight limits, and then under the default
// ones too) and meter_wh counters finite in [0, 1e12]; an accepted relay
// patch names at least one household; what is accepted, written back as
// JSON, is accepted again with the same values.
#include "common/json_text.hpp"
#include "domain/relay_service.hpp"
#include "http/api_routes.hpp"
#include "http/market_routes.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>

using namespace solgrid;

namespace {

bool within(double v, double max) { return std::isfinite(v) && v >= 0 && v <= max; }

void check_reading(std::string_view text, const domain::reading_limits& limits) {
    auto r = http_api::parse_sensor_body(text, limits);
    if (!r.value) {
        if (r.problem.message.empty()) std::abort();
        return;
    }
    const auto& v = r.value->value;
    if (v.soc < 0 || v.soc > 100) std::abort();
    if (!within(v.solar_w, limits.solar_w_max) || !within(v.lux, limits.lux_max)) std::abort();
    for (const auto& m : r.value->meter_wh)
        if (m && !within(*m, domain::max_meter_wh)) std::abort();

    // Written back (as the server stores and broadcasts it), it reads the same.
    boost::json::object again{{"soc", v.soc}, {"solar_w", v.solar_w}, {"lux", v.lux}};
    if (r.value->relays) {
        again["relays"] = domain::relay_service::to_json(r.value->relays->state);
        if (r.value->relays->version) again["relay_version"] = *r.value->relays->version;
    }
    boost::json::object meters;
    for (std::size_t i = 0; i < r.value->meter_wh.size(); ++i)
        if (r.value->meter_wh[i]) meters[std::string(1, domain::household_names[i])] = *r.value->meter_wh[i];
    if (!meters.empty()) again["meter_wh"] = meters;
    auto back = http_api::parse_sensor_body(common::json_text(again), limits);
    if (!back.value) std::abort();
    const auto& w = back.value->value;
    if (w.soc != v.soc || w.solar_w != v.solar_w || w.lux != v.lux) std::abort();
    if (r.value->relays.has_value() != back.value->relays.has_value()) std::abort();
    if (back.value->meter_wh != r.value->meter_wh) std::abort();
    if (r.value->relays && (back.value->relays->state != r.value->relays->state ||
                            back.value->relays->version != r.value->relays->version))
        std::abort();
}

void check_patch(std::string_view text) {
    auto p = http_api::parse_relay_patch(text);
    if (!p.value) {
        if (p.problem.message.empty()) std::abort();
        return;
    }
    if (p.value->empty()) std::abort();
    boost::json::object again;
    for (std::size_t i = 0; i < p.value->on.size(); ++i)
        if (p.value->on[i]) again[std::string(1, domain::household_names[i])] = *p.value->on[i];
    auto back = http_api::parse_relay_patch(common::json_text(again));
    if (!back.value || back.value->on != p.value->on) std::abort();
}

void check_order(std::string_view text) {
    auto p = http_api::parse_order_body(text);
    if (!p.value) {
        if (p.problem.message.empty()) std::abort();
        return;
    }
    const auto& o = *p.value;
    if (o.energy_wh <= 0 || o.energy_wh > domain::market::max_energy_wh || o.price < 0) std::abort();
    boost::json::object again{{"side", domain::market::to_string(o.side)},
                              {"energy_wh", o.energy_wh},
                              {"price", o.price},
                              {"tif", domain::market::to_string(o.tif)}};
    if (p.household) again["household"] = *p.household;
    if (o.expires_at) again["expires_at"] = domain::to_iso8601(*o.expires_at);
    auto back = http_api::parse_order_body(common::json_text(again));
    if (!back.value || back.value->side != o.side || back.value->energy_wh != o.energy_wh ||
        back.value->price != o.price || back.value->tif != o.tif || back.household != p.household ||
        back.value->expires_at.has_value() != o.expires_at.has_value())
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const domain::reading_limits tight{500.0, 1000.0};
    const domain::reading_limits defaults{};
    check_reading(text, defaults);
    check_reading(text, tight);
    // Tight limits only ever refuse more.
    if (http_api::parse_sensor_body(text, tight).value && !http_api::parse_sensor_body(text, defaults).value)
        std::abort();
    check_patch(text);
    check_order(text);
    return 0;
}
