// MessagePack as the Node adapter's `@socket.io/redis-streams-adapter` and
// `@msgpack/msgpack` 2.8 write it (docs/scale-out.md, "Wire format"): the
// JSON-like types plus binary (bin 8/16/32), which is how a broadcast with
// binary attachments travels. encode() picks the shortest form for each
// value, as that library does (so a byte-for-byte comparison with its output
// holds for integers, strings, binary, arrays and maps; non-integral numbers
// are float64). decode() takes any bytes: every length is checked against
// what is left before anything is allocated, nesting and element counts are
// bounded, the extension types (timestamps, …) and the reserved byte 0xc1
// are refused, and trailing bytes are an error. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace solgrid::redis::msgpack {

struct value;
using array = std::vector<value>;
using map = std::vector<std::pair<value, value>>;  // in wire order; keys may repeat as on the wire
struct binary {
    std::string bytes;
    bool operator==(const binary&) const = default;
};

struct value {
    // int64 for every integer that fits it; uint64 only above INT64_MAX.
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, binary, array, map> v;

    value() : v(nullptr) {}
    template <class T>
        requires(!std::is_same_v<std::decay_t<T>, value>)
    value(T x) : v(std::move(x)) {}
    value(int x) : v(std::int64_t{x}) {}
    value(const char* s) : v(std::string(s)) {}

    bool operator==(const value&) const = default;
};

std::string encode(const value& v);

struct limits {
    std::size_t max_depth = 32;
    std::size_t max_elements = 1u << 20;  // array items + map entries in one message
};

struct decode_error {
    std::size_t offset = 0;  // where in the input
    std::string what;
};

// The one value `bytes` holds (all of it), or why not.
std::variant<value, decode_error> decode(std::string_view bytes, limits lim = {});

}  // namespace solgrid::redis::msgpack
