#include "redis/cluster_message.hpp"

#include "common/json_text.hpp"
#include "net/base64.hpp"
#include "net/ws_codec.hpp"
#include "redis/msgpack.hpp"
#include "socketio/parser.hpp"

#include <boost/json.hpp>
#include <openssl/rand.h>

#include <cmath>
#include <stdexcept>

namespace solgrid::redis::cluster {
namespace json = boost::json;
namespace {

constexpr double max_safe_integer = 9007199254740991.0;  // 2^53 - 1, JavaScript's Number.MAX_SAFE_INTEGER

// A placeholder's attachment index, if `v` is one ({"_placeholder":true,"num":n}).
std::optional<std::size_t> placeholder_num(const json::object& o, std::size_t count) {
    if (o.size() != 2) return std::nullopt;
    auto* p = o.if_contains("_placeholder");
    auto* n = o.if_contains("num");
    if (!p || !n || !p->is_bool() || !p->as_bool()) return std::nullopt;
    std::uint64_t num;
    if (n->is_int64() && n->as_int64() >= 0) num = static_cast<std::uint64_t>(n->as_int64());
    else if (n->is_uint64()) num = n->as_uint64();
    else return std::nullopt;
    if (num >= count) return std::nullopt;
    return static_cast<std::size_t>(num);
}

// JSON → MessagePack as @msgpack/msgpack writes a JavaScript value: an
// integral double within 2^53 is an integer there.
msgpack::value to_msgpack(const json::value& v, const std::vector<std::string>& attachments) {
    switch (v.kind()) {
    case json::kind::null: return msgpack::value{};
    case json::kind::bool_: return msgpack::value{v.get_bool()};
    case json::kind::int64: return msgpack::value{v.get_int64()};
    case json::kind::uint64: {
        auto u = v.get_uint64();
        if (u <= static_cast<std::uint64_t>(INT64_MAX)) return msgpack::value{static_cast<std::int64_t>(u)};
        return msgpack::value{u};
    }
    case json::kind::double_: {
        double d = v.get_double();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= max_safe_integer)
            return msgpack::value{static_cast<std::int64_t>(d)};
        return msgpack::value{d};
    }
    case json::kind::string: return msgpack::value{std::string(v.get_string())};
    case json::kind::array: {
        msgpack::array out;
        out.reserve(v.get_array().size());
        for (const auto& e : v.get_array()) out.push_back(to_msgpack(e, attachments));
        return msgpack::value{std::move(out)};
    }
    case json::kind::object: {
        const auto& o = v.get_object();
        if (auto n = placeholder_num(o, attachments.size())) return msgpack::value{msgpack::binary{attachments[*n]}};
        msgpack::map out;
        out.reserve(o.size());
        for (const auto& [k, e] : o) out.emplace_back(msgpack::value{std::string(k)}, to_msgpack(e, attachments));
        return msgpack::value{std::move(out)};
    }
    }
    return msgpack::value{};
}

// A MessagePack str as JavaScript decodes it: bytes that are not UTF-8 become
// U+FFFD (one per byte), so nothing downstream (a client's text frame, the
// stream) ever holds invalid UTF-8.
std::string as_text(const std::string& s) {
    if (net::ws::valid_utf8(s)) return s;
    std::string out;
    out.reserve(s.size() + 8);
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n && i + n <= s.size() && net::ws::valid_utf8(std::string_view(s).substr(i, n))) {
            out.append(s, i, n);
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

// MessagePack → JSON; bin values become placeholders into `attachments`
// (nullptr: they become null, for session data). Map keys must be strings.
json::value to_json(const msgpack::value& v, std::vector<std::string>* attachments) {
    struct visitor {
        std::vector<std::string>* attachments;
        json::value operator()(std::nullptr_t) const { return nullptr; }
        json::value operator()(bool b) const { return b; }
        json::value operator()(std::int64_t i) const { return i; }
        json::value operator()(std::uint64_t u) const { return u; }
        json::value operator()(double d) const { return d; }
        json::value operator()(const std::string& s) const { return json::string(as_text(s)); }
        json::value operator()(const msgpack::binary& b) const {
            if (!attachments) return nullptr;
            if (attachments->size() >= 64) throw std::runtime_error("more than 64 binary attachments");
            attachments->push_back(b.bytes);
            return socketio::placeholder(attachments->size() - 1);
        }
        json::value operator()(const msgpack::array& a) const {
            json::array out;
            out.reserve(a.size());
            for (const auto& e : a) out.push_back(to_json(e, attachments));
            return out;
        }
        json::value operator()(const msgpack::map& m) const {
            json::object out;
            out.reserve(m.size());
            for (const auto& [k, e] : m) {
                const auto* key = std::get_if<std::string>(&k.v);
                if (!key) throw std::runtime_error("a map key that is not a string");
                out[as_text(*key)] = to_json(e, attachments);
            }
            return out;
        }
    };
    return std::visit(visitor{attachments}, v.v);
}

// Keeps the attachments `v` refers to, numbered in the order they appear
// (binary values elsewhere in a message are not the packet's).
void keep_attachments(json::value& v, std::vector<std::string>& all, std::vector<std::string>& kept) {
    if (v.is_array()) {
        for (auto& e : v.get_array()) keep_attachments(e, all, kept);
    } else if (v.is_object()) {
        auto& o = v.get_object();
        if (auto n = placeholder_num(o, all.size())) {
            kept.push_back(all[*n]);
            v = socketio::placeholder(kept.size() - 1);
            return;
        }
        for (auto& [k, e] : o) keep_attachments(e, all, kept);
    }
}

std::vector<std::string> strings_of(const json::value* v, bool& ok) {
    std::vector<std::string> out;
    if (!v || v->is_null()) return out;
    if (!v->is_array()) {
        ok = false;
        return out;
    }
    for (const auto& e : v->get_array()) {
        if (!e.is_string()) {
            ok = false;
            return {};
        }
        out.emplace_back(e.get_string());
    }
    return out;
}

json::array strings_to_json(const std::vector<std::string>& v) {
    json::array out;
    out.reserve(v.size());
    for (const auto& s : v) out.emplace_back(json::string(s));
    return out;
}

}  // namespace

std::variant<message, std::string> decode_entry(const fields& f) {
    message m;
    const std::string* type = nullptr;
    const std::string* data = nullptr;
    bool has_nsp = false;
    for (const auto& [k, v] : f) {
        if (k == "uid") m.uid = v;
        else if (k == "nsp") m.nsp = v, has_nsp = true;
        else if (k == "type") type = &v;
        else if (k == "data") data = &v;
    }
    if (!has_nsp) return std::string("no nsp field");
    if (!type || type->empty() || type->size() > 3) return std::string("no or bad type field");
    int t = 0;
    for (char c : *type) {
        if (c < '0' || c > '9') return std::string("no or bad type field");
        t = t * 10 + (c - '0');
    }
    m.type = t;
    if (!data) return m;
    try {
        if (!data->empty() && data->front() == '{') {
            boost::system::error_code ec;
            auto v = json::parse(*data, ec);
            if (ec || !v.is_object()) return std::string("data is not a JSON object");
            m.data = std::move(v.as_object());
            return m;
        }
        auto bytes = net::base64_decode(*data);
        if (!bytes) return std::string("data is neither JSON nor base64");
        auto decoded = msgpack::decode(*bytes);
        if (auto* err = std::get_if<msgpack::decode_error>(&decoded))
            return "data is not MessagePack: " + err->what + " at byte " + std::to_string(err->offset);
        auto v = to_json(std::get<msgpack::value>(decoded), &m.attachments);
        if (!v.is_object()) return std::string("data is not a map");
        m.data = std::move(v.as_object());
        return m;
    } catch (const std::exception& e) {
        return std::string("bad data: ") + e.what();
    }
}

std::string encode_data(const json::object& data, const std::vector<std::string>& attachments) {
    // Written as solgrid writes JSON for clients (numbers as people write
    // them; a non-finite number, which JSON cannot hold, as null).
    if (attachments.empty()) return common::json_text(data);
    return net::base64_encode(msgpack::encode(to_msgpack(data, attachments)));
}

std::optional<options> decode_options(const json::value* opts) {
    options out;
    if (!opts || opts->is_null()) return out;
    if (!opts->is_object()) return std::nullopt;
    const auto& o = opts->get_object();
    bool ok = true;
    out.rooms = strings_of(o.if_contains("rooms"), ok);
    out.except = strings_of(o.if_contains("except"), ok);
    if (!ok) return std::nullopt;
    if (auto* flags = o.if_contains("flags"); flags && flags->is_object()) {
        auto flag = [&](const char* name) {
            auto* f = flags->get_object().if_contains(name);
            return f && f->is_bool() && f->get_bool();
        };
        out.is_volatile = flag("volatile");
        out.local = flag("local");
    }
    return out;
}

std::optional<broadcast_in> decode_broadcast(message&& m) {
    auto* packet = m.data.if_contains("packet");
    if (!packet || !packet->is_object()) return std::nullopt;
    auto& p = packet->get_object();
    auto* type = p.if_contains("type");
    // EVENT (2); BINARY_EVENT (5) from an emitter that encoded it so.
    if (!type || !type->is_int64() || (type->get_int64() != 2 && type->get_int64() != 5)) return std::nullopt;
    auto* data = p.if_contains("data");
    if (!data || !data->is_array() || data->get_array().empty()) return std::nullopt;
    auto opts = decode_options(m.data.if_contains("opts"));
    if (!opts || opts->local) return std::nullopt;
    broadcast_in out;
    out.b.data = std::move(data->as_array());
    if (!m.attachments.empty())
        for (auto& e : out.b.data) keep_attachments(e, m.attachments, out.b.attachments);
    out.b.rooms = std::move(opts->rooms);
    out.b.except = std::move(opts->except);
    out.is_volatile = opts->is_volatile;
    out.wants_ack = m.data.contains("requestId");
    return out;
}

json::object broadcast_data(const socketio::cluster_broadcast& b) {
    json::object packet{{"type", 2}, {"data", b.data}};
    json::object opts{{"rooms", strings_to_json(b.rooms)}, {"except", strings_to_json(b.except)}, {"flags", json::object{}}};
    return json::object{{"packet", std::move(packet)}, {"opts", std::move(opts)}};
}

std::string encode_session(const socketio::cluster_session& s) {
    msgpack::map m;
    m.emplace_back(msgpack::value{"sid"}, msgpack::value{s.sid});
    m.emplace_back(msgpack::value{"pid"}, msgpack::value{s.pid});
    msgpack::array rooms;
    for (const auto& r : s.rooms) rooms.push_back(msgpack::value{r});
    m.emplace_back(msgpack::value{"rooms"}, msgpack::value{std::move(rooms)});
    m.emplace_back(msgpack::value{"data"}, to_msgpack(json::value(s.data), {}));
    msgpack::map ours;
    if (s.last) ours.emplace_back(msgpack::value{"offset"}, msgpack::value{socketio::to_stream_id(*s.last)});
    ours.emplace_back(msgpack::value{"offsetSent"}, msgpack::value{s.offset_sent});
    m.emplace_back(msgpack::value{"solgrid"}, msgpack::value{std::move(ours)});
    return net::base64_encode(msgpack::encode(msgpack::value{std::move(m)}));
}

std::optional<socketio::cluster_session> decode_session(std::string_view text) {
    auto bytes = net::base64_decode(text);
    if (!bytes) return std::nullopt;
    auto decoded = msgpack::decode(*bytes);
    if (!std::holds_alternative<msgpack::value>(decoded)) return std::nullopt;
    json::value v;
    try {
        v = to_json(std::get<msgpack::value>(decoded), nullptr);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (!v.is_object()) return std::nullopt;
    auto& o = v.as_object();
    auto* sid = o.if_contains("sid");
    auto* pid = o.if_contains("pid");
    if (!sid || !sid->is_string() || !pid || !pid->is_string()) return std::nullopt;
    socketio::cluster_session s;
    s.sid = sid->get_string();
    s.pid = pid->get_string();
    bool ok = true;
    for (auto& r : strings_of(o.if_contains("rooms"), ok)) s.rooms.insert(std::move(r));
    if (!ok) return std::nullopt;
    if (auto* d = o.if_contains("data"); d && d->is_object()) s.data = std::move(d->as_object());
    if (auto* ours = o.if_contains("solgrid"); ours && ours->is_object()) {
        auto& x = ours->as_object();
        if (auto* off = x.if_contains("offset"); off && off->is_string())
            s.last = socketio::parse_stream_id(off->get_string());
        if (auto* sent = x.if_contains("offsetSent"); sent && sent->is_bool()) s.offset_sent = sent->get_bool();
    } else {
        s.offset_sent = true;  // a session Node stored: its client's offset is the only one there is
    }
    return s;
}

std::string random_uid() {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for the adapter's uid");
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

}  // namespace solgrid::redis::cluster
