// libFuzzer target: the MessagePack decoder (redis/msgpack) on any bytes, as
// another adapter (or anything that can write to the Redis stream) could
// send them. The first byte picks tight or default limits.
// Invariants: never crash; decode() returns a value or an error whose
// offset lies inside the input; a decoded value encodes to bytes that
// decode to the same value, and encoding that again gives the same bytes
// (encode is canonical); every proper prefix of a valid input is refused.
#include "redis/msgpack.hpp"

#include <cstdlib>
#include <string_view>

using namespace solgrid::redis::msgpack;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    if (size == 0) return 0;
    limits lim;
    if (data[0] & 1) {
        lim.max_depth = 4;
        lim.max_elements = 16;
    }
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    auto r = decode(in, lim);
    if (auto* e = std::get_if<decode_error>(&r)) {
        if (e->offset > in.size() || e->what.empty()) std::abort();
        return 0;
    }
    const auto& v = std::get<value>(r);
    auto wire = encode(v);
    auto again = decode(wire, lim);
    if (!std::holds_alternative<value>(again)) std::abort();
    const auto& w = std::get<value>(again);
    // NaN is the one value not equal to itself: compare the bytes instead.
    if (encode(w) != wire) std::abort();
    if (in.size() < 4096)
        for (std::size_t n = 0; n < in.size(); ++n)
            if (std::holds_alternative<value>(decode(in.substr(0, n), lim))) std::abort();
    return 0;
}
