#include "socketio/parser.hpp"

#include "common/json_text.hpp"

#include <boost/json.hpp>

#include <array>

namespace solgrid::socketio {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool payload_valid(packet_type t, const std::optional<boost::json::value>& data) {
    switch (t) {
    case packet_type::connect:
        return !data || data->is_object();
    case packet_type::disconnect:
        return !data;
    case packet_type::connect_error:
        return data && (data->is_string() || data->is_object());
    case packet_type::event:
    case packet_type::binary_event: {
        if (!data || !data->is_array()) return false;
        const auto& a = data->as_array();
        if (a.empty()) return false;
        if (a[0].is_number()) return true;
        return a[0].is_string() && !is_reserved_event(a[0].as_string());
    }
    case packet_type::ack:
    case packet_type::binary_ack:
        return data && data->is_array();
    }
    return false;
}

}  // namespace

bool is_reserved_event(std::string_view name) {
    static constexpr std::array<std::string_view, 6> reserved = {
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
    for (auto r : reserved)
        if (r == name) return true;
    return false;
}

decode_result decode(std::string_view s) {
    decode_result r;
    if (s.empty() || s[0] < '0' || s[0] > '6') {
        r.error = "unknown packet type";
        return r;
    }
    packet p;
    p.type = static_cast<packet_type>(s[0] - '0');
    std::size_t i = 1;
    if (p.type == packet_type::binary_event || p.type == packet_type::binary_ack) {
        auto dash = s.find('-', i);
        if (dash == std::string_view::npos || dash == i || dash - i > 6) {
            r.error = "illegal attachments";
            return r;
        }
        std::size_t n = 0;
        for (auto k = i; k < dash; ++k) {
            if (!is_digit(s[k])) {
                r.error = "illegal attachments";
                return r;
            }
            n = n * 10 + static_cast<std::size_t>(s[k] - '0');
        }
        if (n > max_attachments) {
            r.error = "too many attachments";
            return r;
        }
        p.attachments = n;
        i = dash + 1;
    }
    if (i < s.size() && s[i] == '/') {
        auto comma = s.find(',', i);
        auto end = comma == std::string_view::npos ? s.size() : comma;
        p.nsp = std::string(s.substr(i, end - i));
        i = comma == std::string_view::npos ? s.size() : comma + 1;
    }
    if (i < s.size() && is_digit(s[i])) {
        std::uint64_t id = 0;
        std::size_t start = i;
        while (i < s.size() && is_digit(s[i])) {
            if (i - start >= 18) {
                r.error = "invalid ack id";
                return r;
            }
            id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
            ++i;
        }
        p.id = id;
    }
    if (i < s.size()) {
        boost::system::error_code ec;
        auto v = boost::json::parse(s.substr(i), ec);
        if (ec) {
            r.error = "invalid payload";
            return r;
        }
        p.data = std::move(v);
    }
    if (!payload_valid(p.type, p.data)) {
        r.error = "invalid payload";
        return r;
    }
    if (p.attachments && !placeholders_valid(*p.data, p.attachments)) {
        r.error = "illegal attachments";
        return r;
    }
    r.value = std::move(p);
    return r;
}

std::string encode(const packet& p) {
    std::string out;
    out += static_cast<char>('0' + static_cast<int>(p.type));
    if (p.type == packet_type::binary_event || p.type == packet_type::binary_ack) {
        out += std::to_string(p.buffers.size());
        out += '-';
    }
    if (!p.nsp.empty() && p.nsp != "/") {
        out += p.nsp;
        out += ',';
    }
    if (p.id) out += std::to_string(*p.id);
    if (p.data) common::append_json(out, *p.data);
    return out;
}

boost::json::value placeholder(std::size_t n) {
    return boost::json::object{{"_placeholder", true}, {"num", n}};
}

bool placeholders_valid(const boost::json::value& v, std::size_t count) {
    if (v.is_array()) {
        for (const auto& e : v.as_array())
            if (!placeholders_valid(e, count)) return false;
        return true;
    }
    if (v.is_object()) {
        const auto& o = v.as_object();
        if (auto* ph = o.if_contains("_placeholder"); ph && ph->is_bool() && ph->as_bool()) {
            auto* num = o.if_contains("num");
            if (!num) return false;
            if (num->is_int64()) return num->as_int64() >= 0 && static_cast<std::size_t>(num->as_int64()) < count;
            if (num->is_uint64()) return num->as_uint64() < count;
            return false;
        }
        for (const auto& kv : o)
            if (!placeholders_valid(kv.value(), count)) return false;
    }
    return true;
}

bool reassembler::start(packet& p) {
    if (p.attachments == 0) return true;
    pending_ = std::make_unique<packet>(std::move(p));
    return false;
}

std::optional<packet> reassembler::add(std::string buffer) {
    if (!pending_) return std::nullopt;
    pending_->buffers.push_back(std::move(buffer));
    if (pending_->buffers.size() < pending_->attachments) return std::nullopt;
    auto done = std::move(*pending_);
    pending_.reset();
    return done;
}

}  // namespace solgrid::socketio
