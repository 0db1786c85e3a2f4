#include "domain/sensor_ingest.hpp"

#include "domain/device_protocol.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace solgrid::domain {
namespace {

// A JSON number as a double; nullopt for strings, booleans, null.
std::optional<double> number(const boost::json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    if (v.is_double()) return v.as_double();
    return std::nullopt;
}

parsed_sensor_post refuse(std::string field, std::string message) {
    parsed_sensor_post out;
    out.problem = {std::move(field), std::move(message)};
    return out;
}

// "meter_wh": {"A": 1234.5, ...}: absent is fine; every key present is checked.
std::optional<rule_violation> read_meters(const boost::json::object& obj, std::array<std::optional<double>, 4>& out) {
    const auto* v = obj.if_contains("meter_wh");
    if (!v) return std::nullopt;
    if (!v->is_object())
        return rule_violation{"meter_wh", "meter_wh must be an object of cumulative Wh per household, e.g. {\"A\": 1234.5}"};
    for (const auto& [key, value] : v->get_object()) {
        const auto* h = std::find(household_names.begin(), household_names.end(), key.size() == 1 ? key[0] : '\0');
        // The key is echoed only when it is short and printable: a message must not carry arbitrary bytes.
        bool printable = !key.empty() && key.size() <= 16;
        for (char c : key) printable = printable && c >= 0x20 && c < 0x7f;
        const std::string field = "meter_wh." + (printable ? std::string(key) : std::string("?"));
        if (h == household_names.end())
            return rule_violation{field, field + " is not a household (A, B, C or D)"};
        auto n = number(value);
        if (!n || !std::isfinite(*n) || *n < 0 || *n > max_meter_wh)
            return rule_violation{field, field + " must be a number of Wh between 0 and 1e12"};
        out[static_cast<std::size_t>(h - household_names.begin())] = *n;
    }
    return std::nullopt;
}

}  // namespace

parsed_sensor_post parse_sensor_post(const boost::json::value& doc, const reading_limits& limits) {
    if (!doc.is_object()) return refuse("", "body must be a JSON object");
    const auto& obj = doc.get_object();
    reading r;
    const auto* soc = obj.if_contains("soc");
    if (!soc) return refuse("soc", "soc is required");
    auto soc_n = number(*soc);
    if (!soc_n || std::floor(*soc_n) != *soc_n || *soc_n < 0 || *soc_n > 100)
        return refuse("soc", "soc must be an integer between 0 and 100");
    r.soc = static_cast<int>(*soc_n);
    for (auto [name, target] : {std::pair{"solar_w", &r.solar_w}, std::pair{"lux", &r.lux}}) {
        const auto* v = obj.if_contains(name);
        if (!v) return refuse(name, std::string(name) + " is required");
        auto n = number(*v);
        if (!n) return refuse(name, std::string(name) + " must be a number >= 0");
        *target = *n;
    }
    if (auto bad = check(r, limits)) return refuse(bad->field, bad->message);
    auto report = find_relay_report(doc, false);  // checked before anything is stored
    if (report.problem) return refuse(report.problem->field, report.problem->message);
    std::array<std::optional<double>, 4> meters;
    if (auto bad = read_meters(obj, meters)) return refuse(bad->field, bad->message);
    parsed_sensor_post out;
    out.value = sensor_post{r, report.value, meters};
    return out;
}

asio::awaitable<ingest_result> sensor_ingest::ingest(sensor_post post, std::string from) {
    ingest_result out;
    out.stored = co_await readings_.record(post.value);
    if (monitor_) monitor_->seen(std::move(from));
    if (post.relays) relays_.report(*post.relays);
    if (market_) market_->on_reading(out.stored.at, out.stored.value, post.meter_wh);
    out.desired = relays_.desired();
    co_return out;
}

boost::json::object sensor_ingest::reply_json(const ingest_result& r) {
    auto data = readings_service::to_json(r.stored);
    data["id"] = r.stored.id;
    data["relays"] = relay_service::to_json(r.desired.state);
    data["relay_version"] = r.desired.version;
    return data;
}

}  // namespace solgrid::domain
