#include "common/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace solgrid::common {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else return 0;
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return n;
}

// A JSON string for `s`. Text from clients (a Content-Type, a decoded path)
// may hold bytes that are not UTF-8, which JSON cannot carry and browsers'
// JSON.parse would garble: each such byte becomes U+FFFD.
void append_string(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto n = utf8_sequence(s, i);
        if (n == 0) break;
        i += n;
    }
    if (i == s.size()) {
        out += boost::json::serialize(boost::json::string_view(s.data(), s.size()));
        return;
    }
    std::string clean;
    clean.reserve(s.size() + 8);
    for (i = 0; i < s.size();) {
        if (auto n = utf8_sequence(s, i)) {
            clean.append(s.data() + i, n);
            i += n;
        } else {
            clean += "\xEF\xBF\xBD";
            ++i;
        }
    }
    out += boost::json::serialize(boost::json::string_view(clean));
}

}  // namespace

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
        append_string(out, v.get_string());
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
            append_string(out, kv.key());
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
