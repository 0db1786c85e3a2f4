// libFuzzer target: the RESP reply decoder (redis/resp) on any bytes, as a
// Redis server (or anything on its port) could send them. The first byte
// picks tight or default limits; the rest is the stream.
// Invariants: never crash; decode() returns a reply, "need more" or a
// protocol_error, nothing else; a reply uses at most the bytes given and
// respects the limits; a decoded reply, written back as RESP, decodes to
// the same reply using all its bytes; every proper prefix of a reply's
// bytes is "need more" or an error (never a different complete reply).
#include "redis/resp.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

using namespace solgrid::redis;

namespace {

void write(std::string& out, const value& v) {
    auto line = [&](char t, const std::string& s) { out += t; out += s; out += "\r\n"; };
    auto blob = [&](char t, const std::string& s) {
        out += t; out += std::to_string(s.size()); out += "\r\n"; out += s; out += "\r\n";
    };
    switch (v.type) {
    case kind::simple_string: line('+', v.str); break;
    case kind::error: blob('!', v.str); break;
    case kind::integer: line(':', std::to_string(v.integer)); break;
    case kind::bulk_string: blob('$', v.str); break;
    case kind::null: out += "_\r\n"; break;
    case kind::boolean: line('#', v.integer ? "t" : "f"); break;
    case kind::double_number: line(',', v.str); break;
    case kind::big_number: line('(', v.str); break;
    case kind::array:
    case kind::map:
        line(v.type == kind::map ? '%' : '*', std::to_string(v.type == kind::map ? v.elements.size() / 2 : v.elements.size()));
        for (const auto& e : v.elements) write(out, e);
        break;
    }
}

bool same(const value& a, const value& b) {
    if (a.type != b.type || a.str != b.str || a.integer != b.integer || a.elements.size() != b.elements.size()) return false;
    for (std::size_t i = 0; i < a.elements.size(); ++i)
        if (!same(a.elements[i], b.elements[i])) return false;
    return true;
}

std::size_t depth_of(const value& v) {
    std::size_t d = 0;
    for (const auto& e : v.elements) d = std::max(d, depth_of(e));
    return v.type == kind::array || v.type == kind::map ? d + 1 : d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    limits lim;
    if (data[0] & 1) {
        lim.max_bulk = 64;
        lim.max_depth = 4;
        lim.max_aggregate = 8;
        lim.max_elements = 32;
        lim.max_line = 16;
    }
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::optional<decoded> d;
    try {
        d = decode(in, lim);
    } catch (const protocol_error& e) {
        if (e.offset() > in.size()) std::abort();
        return 0;
    }
    if (!d) return 0;
    if (d->consumed == 0 || d->consumed > in.size()) std::abort();
    if (depth_of(d->reply) > lim.max_depth) std::abort();
    std::string again;
    write(again, d->reply);
    auto round = decode(again, limits{});
    if (!round || round->consumed != again.size() || !same(round->reply, d->reply)) std::abort();
    std::string_view used = in.substr(0, d->consumed);
    for (std::size_t cut : {std::size_t{0}, used.size() / 2, used.size() - 1}) {
        try {
            if (decode(used.substr(0, cut), lim)) std::abort();
        } catch (const protocol_error&) {
            std::abort();  // what a longer input accepted cannot be malformed when cut
        }
    }
    return 0;
}
