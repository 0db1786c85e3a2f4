#include "json_scan.h"

#include <cstring>

namespace solgrid_fw {
namespace {

constexpr int max_depth = 16;

struct cursor {
    const char* p;
    const char* end;

    bool at_end() const { return p >= end; }
    char peek() const { return p < end ? *p : '\0'; }
    void skip_ws() {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    }
    bool eat(char c) {
        skip_ws();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
};

// Leaves c.p after the closing quote; key spans the raw content.
bool scan_string(cursor& c, json_span* content) {
    if (c.peek() != '"') return false;
    const char* start = ++c.p;
    while (c.p < c.end) {
        char ch = *c.p;
        if (ch == '"') {
            if (content) *content = {start, static_cast<std::size_t>(c.p - start)};
            ++c.p;
            return true;
        }
        if (static_cast<unsigned char>(ch) < 0x20) return false;
        if (ch == '\\') {
            ++c.p;
            if (c.p >= c.end) return false;
            if (*c.p == 'u') {
                for (int i = 0; i < 4; ++i) {
                    ++c.p;
                    if (c.p >= c.end) return false;
                    char h = *c.p;
                    bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
                    if (!hex) return false;
                }
            } else if (!std::strchr("\"\\/bfnrt", *c.p)) {
                return false;
            }
        }
        ++c.p;
    }
    return false;
}

bool scan_number(cursor& c) {
    const char* start = c.p;
    if (c.peek() == '-') ++c.p;
    if (c.peek() == '0') {
        ++c.p;
    } else if (c.peek() >= '1' && c.peek() <= '9') {
        while (c.peek() >= '0' && c.peek() <= '9') ++c.p;
    } else {
        return false;
    }
    if (c.peek() == '.') {
        ++c.p;
        if (!(c.peek() >= '0' && c.peek() <= '9')) return false;
        while (c.peek() >= '0' && c.peek() <= '9') ++c.p;
    }
    if (c.peek() == 'e' || c.peek() == 'E') {
        ++c.p;
        if (c.peek() == '+' || c.peek() == '-') ++c.p;
        if (!(c.peek() >= '0' && c.peek() <= '9')) return false;
        while (c.peek() >= '0' && c.peek() <= '9') ++c.p;
    }
    return c.p > start;
}

bool scan_literal(cursor& c, const char* word) {
    std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(c.end - c.p) < n || std::memcmp(c.p, word, n) != 0) return false;
    c.p += n;
    return true;
}

bool scan_value(cursor& c, int depth);

bool scan_object(cursor& c, int depth) {
    ++c.p;  // '{'
    if (c.eat('}')) return true;
    for (;;) {
        c.skip_ws();
        if (!scan_string(c, nullptr) || !c.eat(':') || !scan_value(c, depth + 1)) return false;
        if (c.eat(',')) continue;
        return c.eat('}');
    }
}

bool scan_array(cursor& c, int depth) {
    ++c.p;  // '['
    if (c.eat(']')) return true;
    for (;;) {
        if (!scan_value(c, depth + 1)) return false;
        if (c.eat(',')) continue;
        return c.eat(']');
    }
}

bool scan_value(cursor& c, int depth) {
    if (depth > max_depth) return false;
    c.skip_ws();
    switch (c.peek()) {
        case '{': return scan_object(c, depth);
        case '[': return scan_array(c, depth);
        case '"': return scan_string(c, nullptr);
        case 't': return scan_literal(c, "true");
        case 'f': return scan_literal(c, "false");
        case 'n': return scan_literal(c, "null");
        default: return scan_number(c);
    }
}

// Within the object at c.p, finds member `key` (length n); leaves c.p at its value.
bool find_member(cursor& c, const char* key, std::size_t n, int depth) {
    c.skip_ws();
    if (c.peek() != '{') return false;
    ++c.p;
    if (c.eat('}')) return false;
    for (;;) {
        c.skip_ws();
        json_span k;
        if (!scan_string(c, &k) || !c.eat(':')) return false;
        c.skip_ws();
        if (k.n == n && std::memcmp(k.p, key, n) == 0) return true;
        if (!scan_value(c, depth + 1)) return false;
        if (c.eat(',')) continue;
        return false;  // '}' (not found) or malformed
    }
}

}  // namespace

bool json_find(const char* json, std::size_t len, const char* path, json_span& out) {
    if (!json || !path) return false;
    cursor c{json, json + len};
    const char* seg = path;
    int depth = 0;
    for (;;) {
        const char* dot = std::strchr(seg, '.');
        std::size_t n = dot ? static_cast<std::size_t>(dot - seg) : std::strlen(seg);
        if (!find_member(c, seg, n, depth++)) return false;
        if (!dot) break;
        seg = dot + 1;
    }
    const char* start = c.p;
    if (!scan_value(c, depth)) return false;
    out = {start, static_cast<std::size_t>(c.p - start)};
    return true;
}

bool json_valid(const char* json, std::size_t len) {
    if (!json) return false;
    cursor c{json, json + len};
    if (!scan_value(c, 0)) return false;
    c.skip_ws();
    return c.at_end();
}

bool json_bool(json_span v, bool& out) {
    if (v.n == 4 && std::memcmp(v.p, "true", 4) == 0) return out = true, true;
    if (v.n == 5 && std::memcmp(v.p, "false", 5) == 0) return out = false, true;
    return false;
}

bool json_int64(json_span v, std::int64_t& out) {
    if (v.n == 0) return false;
    std::size_t i = 0;
    bool negative = v.p[0] == '-';
    if (negative) ++i;
    if (i >= v.n) return false;
    // Magnitudes up to 2^63 (so INT64_MIN fits); positive ones stop one short.
    const std::uint64_t limit = negative ? 9223372036854775808ull : 9223372036854775807ull;
    std::uint64_t value = 0;
    for (; i < v.n; ++i) {
        char ch = v.p[i];
        if (ch < '0' || ch > '9') return false;
        std::uint64_t digit = static_cast<std::uint64_t>(ch - '0');
        if (value > (limit - digit) / 10) return false;
        value = value * 10 + digit;
    }
    out = negative ? static_cast<std::int64_t>(0 - value) : static_cast<std::int64_t>(value);
    return true;
}

bool json_is_object(json_span v) { return v.n >= 2 && v.p[0] == '{'; }

}  // namespace solgrid_fw
