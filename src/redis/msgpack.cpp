#include "redis/msgpack.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace solgrid::redis::msgpack {

namespace {

void put_be(std::string& out, std::uint64_t x, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((x >> (8 * i)) & 0xff);
}

void put_uint(std::string& out, std::uint64_t x) {
    if (x < 0x80) out += static_cast<char>(x);
    else if (x <= 0xff) { out += '\xcc'; put_be(out, x, 1); }
    else if (x <= 0xffff) { out += '\xcd'; put_be(out, x, 2); }
    else if (x <= 0xffffffffu) { out += '\xce'; put_be(out, x, 4); }
    else { out += '\xcf'; put_be(out, x, 8); }
}

void put_int(std::string& out, std::int64_t x) {
    if (x >= 0) return put_uint(out, static_cast<std::uint64_t>(x));
    auto u = static_cast<std::uint64_t>(x);
    if (x >= -32) out += static_cast<char>(u & 0xff);
    else if (x >= -128) { out += '\xd0'; put_be(out, u, 1); }
    else if (x >= -32768) { out += '\xd1'; put_be(out, u, 2); }
    else if (x >= -2147483648LL) { out += '\xd2'; put_be(out, u, 4); }
    else { out += '\xd3'; put_be(out, u, 8); }
}

// A length-prefixed family: the fix form when there is one (`fix_max` > 0)
// and it is long enough, else the 8 (if any), 16 or 32-bit form.
void put_header(std::string& out, std::size_t n, unsigned char fix, std::size_t fix_max, int c8, int c16, int c32) {
    if (fix_max > 0 && n <= fix_max) out += static_cast<char>(fix | n);
    else if (c8 >= 0 && n <= 0xff) { out += static_cast<char>(c8); put_be(out, n, 1); }
    else if (n <= 0xffff) { out += static_cast<char>(c16); put_be(out, n, 2); }
    else { out += static_cast<char>(c32); put_be(out, n, 4); }
}

void put(std::string& out, const value& v) {
    struct visitor {
        std::string& out;
        void operator()(std::nullptr_t) const { out += '\xc0'; }
        void operator()(bool b) const { out += b ? '\xc3' : '\xc2'; }
        void operator()(std::int64_t x) const { put_int(out, x); }
        void operator()(std::uint64_t x) const { put_uint(out, x); }
        void operator()(double d) const {
            out += '\xcb';
            put_be(out, std::bit_cast<std::uint64_t>(d), 8);
        }
        void operator()(const std::string& s) const {
            put_header(out, s.size(), 0xa0, 31, 0xd9, 0xda, 0xdb);
            out += s;
        }
        void operator()(const binary& b) const {
            put_header(out, b.bytes.size(), 0, 0, 0xc4, 0xc5, 0xc6);  // no fix form: bin8 from 0
            out += b.bytes;
        }
        void operator()(const array& a) const {
            put_header(out, a.size(), 0x90, 15, -1, 0xdc, 0xdd);
            for (const auto& e : a) put(out, e);
        }
        void operator()(const map& m) const {
            put_header(out, m.size(), 0x80, 15, -1, 0xde, 0xdf);
            for (const auto& [k, e] : m) {
                put(out, k);
                put(out, e);
            }
        }
    };
    std::visit(visitor{out}, v.v);
}

struct reader {
    std::string_view in;
    limits lim;
    std::size_t pos = 0;
    std::size_t elements = 0;
    decode_error error;
    bool failed = false;

    bool fail(std::string what) {
        if (!failed) error = {pos, std::move(what)};
        failed = true;
        return false;
    }
    bool need(std::size_t n) {
        if (in.size() - pos < n) return fail("truncated: " + std::to_string(n) + " more byte(s) needed");
        return true;
    }
    bool be(int bytes, std::uint64_t& x) {
        if (!need(static_cast<std::size_t>(bytes))) return false;
        x = 0;
        for (int i = 0; i < bytes; ++i) x = (x << 8) | static_cast<unsigned char>(in[pos++]);
        return true;
    }
    bool bytes(std::size_t n, std::string& out) {
        if (!need(n)) return false;  // checked before allocating
        out.assign(in.substr(pos, n));
        pos += n;
        return true;
    }
    bool count(std::size_t n) {
        // Every element takes at least one byte: a count beyond what is left is a lie.
        if (n > in.size() - pos) return fail("a count of " + std::to_string(n) + " exceeds the bytes left");
        elements += n;
        if (elements > lim.max_elements) return fail("more than " + std::to_string(lim.max_elements) + " elements");
        return true;
    }

    bool read(value& out, std::size_t depth) {
        if (depth > lim.max_depth) return fail("nested deeper than " + std::to_string(lim.max_depth));
        if (!need(1)) return false;
        const auto b = static_cast<unsigned char>(in[pos++]);
        std::uint64_t n = 0;
        if (b <= 0x7f) return set(out, std::int64_t{b});
        if (b >= 0xe0) return set(out, std::int64_t{static_cast<std::int8_t>(b)});
        if ((b & 0xf0) == 0x80) return read_map(out, b & 0x0f, depth);
        if ((b & 0xf0) == 0x90) return read_array(out, b & 0x0f, depth);
        if ((b & 0xe0) == 0xa0) return read_str(out, b & 0x1f);
        switch (b) {
        case 0xc0: return set(out, nullptr);
        case 0xc2: return set(out, false);
        case 0xc3: return set(out, true);
        case 0xc4: return be(1, n) && read_bin(out, n);
        case 0xc5: return be(2, n) && read_bin(out, n);
        case 0xc6: return be(4, n) && read_bin(out, n);
        case 0xca: {
            if (!be(4, n)) return false;
            return set(out, static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(n))));
        }
        case 0xcb: return be(8, n) && set(out, std::bit_cast<double>(n));
        case 0xcc: return be(1, n) && set(out, std::int64_t(n));
        case 0xcd: return be(2, n) && set(out, std::int64_t(n));
        case 0xce: return be(4, n) && set(out, std::int64_t(n));
        case 0xcf:
            if (!be(8, n)) return false;
            if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return set(out, std::int64_t(n));
            return set(out, n);
        case 0xd0: return be(1, n) && set(out, std::int64_t{static_cast<std::int8_t>(n)});
        case 0xd1: return be(2, n) && set(out, std::int64_t{static_cast<std::int16_t>(n)});
        case 0xd2: return be(4, n) && set(out, std::int64_t{static_cast<std::int32_t>(n)});
        case 0xd3: return be(8, n) && set(out, static_cast<std::int64_t>(n));
        case 0xd9: return be(1, n) && read_str(out, n);
        case 0xda: return be(2, n) && read_str(out, n);
        case 0xdb: return be(4, n) && read_str(out, n);
        case 0xdc: return be(2, n) && read_array(out, n, depth);
        case 0xdd: return be(4, n) && read_array(out, n, depth);
        case 0xde: return be(2, n) && read_map(out, n, depth);
        case 0xdf: return be(4, n) && read_map(out, n, depth);
        case 0xc1: --pos; return fail("0xc1 is never used in MessagePack");
        default:  // 0xc7-0xc9, 0xd4-0xd8: extension types
            --pos;
            return fail("extension types are not accepted (type byte 0x" + hex(b) + ")");
        }
    }
    static std::string hex(unsigned char b) {
        const char* d = "0123456789abcdef";
        return {d[b >> 4], d[b & 15]};
    }
    template <class T>
    bool set(value& out, T x) {
        out.v = std::move(x);
        return true;
    }
    bool read_str(value& out, std::uint64_t n) {
        std::string s;
        if (!bytes(static_cast<std::size_t>(n), s)) return false;
        return set(out, std::move(s));
    }
    bool read_bin(value& out, std::uint64_t n) {
        binary b;
        if (!bytes(static_cast<std::size_t>(n), b.bytes)) return false;
        return set(out, std::move(b));
    }
    bool read_array(value& out, std::uint64_t n, std::size_t depth) {
        if (!count(static_cast<std::size_t>(n))) return false;
        array a;
        a.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i)
            if (!read(a.emplace_back(), depth + 1)) return false;
        return set(out, std::move(a));
    }
    bool read_map(value& out, std::uint64_t n, std::size_t depth) {
        // Each entry takes at least two bytes.
        if (n > (in.size() - pos) / 2) return fail("a map of " + std::to_string(n) + " entries exceeds the bytes left");
        if (!count(static_cast<std::size_t>(n))) return false;
        map m;
        m.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
            auto& [k, e] = m.emplace_back();
            if (!read(k, depth + 1) || !read(e, depth + 1)) return false;
        }
        return set(out, std::move(m));
    }
};

}  // namespace

std::string encode(const value& v) {
    std::string out;
    put(out, v);
    return out;
}

std::variant<value, decode_error> decode(std::string_view bytes, limits lim) {
    reader r{bytes, lim};
    value v;
    if (!r.read(v, 1)) return r.error;
    if (r.pos != bytes.size()) return decode_error{r.pos, std::to_string(bytes.size() - r.pos) + " byte(s) after the value"};
    return v;
}

}  // namespace solgrid::redis::msgpack
