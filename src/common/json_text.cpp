#include "common/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace solgrid::common {

void append_json(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        out += "null";
        return;
    case boost::json::kind::bool_:
        out += v.get_bool() ? "true" : "false";
        return;
    case boost::json::kind::int64:
        out += std::to_string(v.get_int64());
        return;
    case boost::json::kind::uint64:
        out += std::to_string(v.get_uint64());
        return;
    case boost::json::kind::double_: {
        double d = v.get_double();
        if (!std::isfinite(d)) {
            out += "null";
            return;
        }
        append_number(out, d);
        return;
    }
    case boost::json::kind::string:
        out += boost::json::serialize(v.get_string());
        return;
    case boost::json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& e : v.get_array()) {
            if (!first) out += ',';
            first = false;
            append_json(out, e);
        }
        out += ']';
        return;
    }
    case boost::json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& kv : v.get_object()) {
            if (!first) out += ',';
            first = false;
            out += boost::json::serialize(boost::json::string_view(kv.key()));
            out += ':';
            append_json(out, kv.value());
        }
        out += '}';
        return;
    }
    }
}

void append_number(std::string& out, double v) {
    if (v == 0) {  // also -0
        out += '0';
        return;
    }
    // Fixed notation, shortest form that round-trips: up to ~330 characters
    // for the extremes of double, which bounded measurements never reach.
    char buf[400];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec != std::errc{}) {
        end = std::to_chars(buf, buf + sizeof buf, v).ptr;  // cannot happen for a finite double
    }
    out.append(buf, end);
}

std::string number_text(double v) {
    std::string out;
    append_number(out, v);
    return out;
}

std::string json_text(const boost::json::value& v) {
    std::string out;
    append_json(out, v);
    return out;
}

}  // namespace solgrid::common
