#include "domain/sensor_ingest.hpp"

#include "domain/device_protocol.hpp"

#include <boost/json.hpp>

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
    parsed_sensor_post out;
    out.value = sensor_post{r, report.value};
    return out;
}

asio::awaitable<ingest_result> sensor_ingest::ingest(sensor_post post, std::string from) {
    ingest_result out;
    out.stored = co_await readings_.record(post.value);
    if (monitor_) monitor_->seen(std::move(from));
    if (post.relays) relays_.report(*post.relays);
    if (market_) market_->on_reading(out.stored.at, out.stored.value, {});
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
