#include "domain/device_protocol.hpp"

#include <boost/json.hpp>

namespace solgrid::domain {
namespace {

std::optional<std::int64_t> version_value(const boost::json::value& v) {
    if (v.is_int64() && v.as_int64() >= 0) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.as_uint64());
    if (v.is_double() && v.as_double() >= 0 && v.as_double() < 9.0e18 &&
        static_cast<double>(static_cast<std::int64_t>(v.as_double())) == v.as_double())
        return static_cast<std::int64_t>(v.as_double());
    return std::nullopt;
}

int household_index(std::string_view key) {
    if (key.size() != 1 || key[0] < 'A' || key[0] > 'D') return -1;
    return key[0] - 'A';
}

}  // namespace

std::optional<relay_state> parse_relay_object(const boost::json::value& v, std::string_view field,
                                              rule_violation& problem) {
    std::string f(field);
    if (!v.is_object()) {
        problem = {f, f + " must be an object like {\"A\":true,\"B\":false,\"C\":false,\"D\":false}"};
        return std::nullopt;
    }
    relay_state s;
    std::array<bool, 4> seen{};
    for (const auto& kv : v.as_object()) {
        int i = household_index(kv.key());
        if (i < 0) {
            problem = {f, f + ": unknown household '" + std::string(kv.key()) + "'; expected A, B, C or D"};
            return std::nullopt;
        }
        if (!kv.value().is_bool()) {
            problem = {f, f + "." + std::string(kv.key()) + " must be true or false"};
            return std::nullopt;
        }
        s.on[static_cast<std::size_t>(i)] = kv.value().as_bool();
        seen[static_cast<std::size_t>(i)] = true;
    }
    for (std::size_t i = 0; i < seen.size(); ++i)
        if (!seen[i]) {
            problem = {f, f + " must name all of A, B, C and D (missing " + std::string(1, household_names[i]) + ")"};
            return std::nullopt;
        }
    return s;
}

parsed_relay_report find_relay_report(const boost::json::value& doc, bool top_level_ok) {
    parsed_relay_report out;
    if (!doc.is_object()) return out;
    const auto& o = doc.as_object();
    std::optional<std::int64_t> version;
    if (const auto* rv = o.if_contains("relay_version")) {
        version = version_value(*rv);
        if (!version) {
            out.problem = rule_violation{"relay_version", "relay_version must be an integer >= 0"};
            return out;
        }
    }
    if (const auto* r = o.if_contains("relays")) {
        rule_violation problem;
        auto state = parse_relay_object(*r, "relays", problem);
        if (!state) {
            out.problem = problem;
            return out;
        }
        out.value = relay_report{*state, version};
        return out;
    }
    if (!top_level_ok || !o.contains("A")) return out;
    if (const auto* v = o.if_contains("version"); v && !version) {
        version = version_value(*v);
        if (!version) {
            out.problem = rule_violation{"version", "version must be an integer >= 0"};
            return out;
        }
    }
    boost::json::object relays;
    for (char h : household_names)
        if (const auto* v = o.if_contains(std::string_view(&h, 1))) relays[std::string(1, h)] = *v;
    rule_violation problem;
    auto state = parse_relay_object(relays, "relays", problem);
    if (!state) {
        out.problem = problem;
        return out;
    }
    out.value = relay_report{*state, version};
    return out;
}

boost::json::object relays_json(const relay_state& s) {
    boost::json::object o;
    for (std::size_t i = 0; i < household_names.size(); ++i) o[std::string(1, household_names[i])] = s.on[i];
    return o;
}

boost::json::object command_json(const relay_command& cmd) {
    boost::json::object o = relays_json(cmd.state);
    o["version"] = cmd.version;
    return o;
}

parsed_command parse_command(const boost::json::value& doc, const relay_state& current) {
    parsed_command out;
    if (!doc.is_object()) {
        out.problem = {"", "body must be a JSON object like {\"A\":true,\"B\":false}"};
        return out;
    }
    relay_command cmd{current, 0};
    bool any = false;
    for (const auto& kv : doc.as_object()) {
        if (kv.key() == "version") {
            auto v = version_value(kv.value());
            if (!v) {
                out.problem = {"version", "version must be an integer >= 0"};
                return out;
            }
            cmd.version = *v;
            continue;
        }
        std::string key(kv.key());
        int i = household_index(key);
        if (i < 0) {
            out.problem.field = key;
            out.problem.message = "unknown household '" + key + "'; expected A, B, C or D";
            return out;
        }
        if (!kv.value().is_bool()) {
            out.problem.field = key;
            out.problem.message = key + " must be true or false";
            return out;
        }
        cmd.state.on[static_cast<std::size_t>(i)] = kv.value().as_bool();
        any = true;
    }
    if (!any) {
        out.problem = {"", "body must name at least one of A, B, C, D"};
        return out;
    }
    out.value = cmd;
    return out;
}

}  // namespace solgrid::domain
