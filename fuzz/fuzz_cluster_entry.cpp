// libFuzzer target: Redis stream entries and recovery sessions as another
// server (a Node socket.io adapter, or anything that can write to the
// stream) could leave them (redis/cluster_message). The first byte picks
// the decoder: a session (base64 of MessagePack), or an entry whose fields
// are the rest of the input split at NUL bytes (field, value, ...).
// Invariants: never crash; an entry is a message or a reason; a broadcast
// decoded from one re-encodes (JSON, or base64 MessagePack with its binary
// attachments) to data that decodes to the same packet, rooms and
// attachments.
#include "redis/cluster_message.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>

using namespace solgrid;
using namespace solgrid::redis::cluster;
namespace json = boost::json;

namespace {

// The same shape, strings and numbers (doubles within a relative 1e-12:
// Boost.JSON 1.81 parses long decimals to the nearest double or one next to it).
bool same(const json::value& a, const json::value& b) {
    // JSON cannot hold inf or NaN (a decimal too large parses to inf): null.
    auto non_finite = [](const json::value& v) { return v.is_double() && !std::isfinite(v.get_double()); };
    if ((non_finite(a) || a.is_null()) && (non_finite(b) || b.is_null())) return true;
    if (a.is_number() && b.is_number()) {
        double x = a.to_number<double>(), y = b.to_number<double>();
        return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &p = a.get_array(), &q = b.get_array();
        if (p.size() != q.size()) return false;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (!same(p[i], q[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &p = a.get_object(), &q = b.get_object();
        if (p.size() != q.size()) return false;
        for (auto i = p.begin(), j = q.begin(); i != p.end(); ++i, ++j)
            if (i->key() != j->key() || !same(i->value(), j->value())) return false;
        return true;
    }
    return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 1) {
        if (auto s = decode_session(in)) {
            auto again = decode_session(encode_session(*s));
            if (!again || again->sid != s->sid || again->pid != s->pid || again->rooms != s->rooms) std::abort();
        }
        return 0;
    }
    fields f;
    std::size_t at = 0;
    while (at <= in.size() && f.size() < 16) {
        auto k_end = in.find('\0', at);
        if (k_end == std::string_view::npos) break;
        auto v_end = in.find('\0', k_end + 1);
        if (v_end == std::string_view::npos) v_end = in.size();
        f.emplace_back(std::string(in.substr(at, k_end - at)), std::string(in.substr(k_end + 1, v_end - k_end - 1)));
        at = v_end + 1;
    }
    auto r = decode_entry(f);
    if (auto* why = std::get_if<std::string>(&r)) {
        if (why->empty()) std::abort();
        return 0;
    }
    auto in_b = decode_broadcast(std::move(std::get<message>(r)));
    if (!in_b) return 0;
    const auto& b = in_b->b;
    auto wire = encode_data(broadcast_data(b), b.attachments);
    auto back = decode_entry({{"nsp", "/"}, {"type", "3"}, {"data", wire}});
    auto* m = std::get_if<message>(&back);
    if (!m) std::abort();
    auto again = decode_broadcast(std::move(*m));
    if (!again || again->b.rooms != b.rooms || again->b.except != b.except || again->b.attachments != b.attachments)
        std::abort();
    // Numbers may change form on a trip (2.0 → 2, as JavaScript has it).
    auto back2 = decode_entry({{"nsp", "/"}, {"type", "3"}, {"data", encode_data(broadcast_data(again->b), again->b.attachments)}});
    auto* m2 = std::get_if<message>(&back2);
    if (!m2) std::abort();
    auto third = decode_broadcast(std::move(*m2));
    if (!third || !same(json::value(third->b.data), json::value(again->b.data)) ||
        !same(json::value(again->b.data), json::value(b.data)))
        std::abort();
    return 0;
}
