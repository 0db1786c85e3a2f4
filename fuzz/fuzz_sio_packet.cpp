// libFuzzer target: the Socket.IO packet decoder (types, attachment counts,
// namespaces, ack ids, JSON payloads, placeholders) and the reassembly of
// binary packets. A packet that decodes must encode to text that decodes
// to the same type, namespace and ack id.
#include "socketio/parser.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdlib>

using namespace solgrid::socketio;

namespace {

// JSON cannot carry infinity: a number like 1e999 parses to it (as in
// JavaScript) and is written back as null, so such packets do not round-trip.
bool has_non_finite(const boost::json::value& v) {
    if (v.is_double()) return !std::isfinite(v.get_double());
    if (v.is_array())
        for (const auto& e : v.get_array())
            if (has_non_finite(e)) return true;
    if (v.is_object())
        for (const auto& kv : v.get_object())
            if (has_non_finite(kv.value())) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = decode(text);
    if (!r.value) return 0;
    packet p = *r.value;
    reassembler binary;
    if (!binary.start(p)) {
        // Feed the attachments it announced; the packet must come out whole.
        std::optional<packet> done;
        for (std::size_t i = 0; i < r.value->attachments && !done; ++i) done = binary.add("x");
        if (!done || done->buffers.size() != r.value->attachments) std::abort();
        p = std::move(*done);
    }
    auto again = decode(encode(p));
    if (p.data && has_non_finite(*p.data)) return 0;
    if (!again.value || again.value->type != p.type || again.value->id != p.id || again.value->nsp != p.nsp) std::abort();
    return 0;
}
