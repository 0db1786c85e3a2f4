#include "redis/resp.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace solgrid::redis {

const char* kind_name(kind k) {
    switch (k) {
    case kind::simple_string: return "simple string";
    case kind::error: return "error";
    case kind::integer: return "integer";
    case kind::bulk_string: return "bulk string";
    case kind::null: return "null";
    case kind::array: return "array";
    case kind::map: return "map";
    case kind::boolean: return "boolean";
    case kind::double_number: return "double";
    case kind::big_number: return "big number";
    }
    return "?";
}

const char* errc_name(errc e) {
    switch (e) {
    case errc::bad_type_byte: return "bad type byte";
    case errc::bad_length: return "bad length";
    case errc::length_too_large: return "length too large";
    case errc::too_deep: return "nested too deep";
    case errc::too_many_elements: return "too many elements";
    case errc::missing_crlf: return "missing CRLF";
    case errc::bad_integer: return "bad integer";
    case errc::line_too_long: return "line too long";
    case errc::bad_value: return "bad value";
    }
    return "?";
}

protocol_error::protocol_error(errc code, std::size_t offset, const std::string& what)
    : std::runtime_error("RESP " + std::string(errc_name(code)) + " at byte " + std::to_string(offset) + ": " + what),
      code_(code),
      offset_(offset) {}

namespace {

// One pass over `in` from a reply's first byte. Every method returns false
// when the input ends first (need more) and throws on malformed input.
class parser {
public:
    parser(std::string_view in, const limits& lim) : in_(in), lim_(lim) {}

    std::size_t pos() const { return pos_; }

    bool parse(value& out, std::size_t depth) {
        if (pos_ >= in_.size()) return false;
        const std::size_t start = pos_;
        const char type = in_[pos_++];
        std::string_view text;
        switch (type) {
        case '+':
        case '-':
            if (!line(text)) return false;
            out.type = type == '+' ? kind::simple_string : kind::error;
            out.str.assign(text);
            return true;
        case ':':
            if (!line(text)) return false;
            out.type = kind::integer;
            out.integer = to_integer(text, start);
            return true;
        case '$':
        case '!':
        case '=':
            return bulk(out, type == '!' ? kind::error : kind::bulk_string);
        case '*':
        case '~':
        case '>':
            return aggregate(out, kind::array, 1, depth);
        case '%':
            return aggregate(out, kind::map, 2, depth);
        case '|': {  // RESP3 attribute: metadata before the reply itself; dropped
            value attributes;
            if (!aggregate(attributes, kind::map, 2, depth)) return false;
            return parse(out, depth + 1);  // + 1: a chain of attributes is bounded like nesting
        }
        case '_':
            if (!line(text)) return false;
            if (!text.empty()) fail(errc::bad_value, start, "a RESP3 null carries no text");
            out.type = kind::null;
            return true;
        case '#':
            if (!line(text)) return false;
            if (text != "t" && text != "f") fail(errc::bad_value, start, "a RESP3 boolean must be t or f");
            out.type = kind::boolean;
            out.integer = text == "t";
            return true;
        case ',':
            if (!line(text)) return false;
            check_double(text, start);
            out.type = kind::double_number;
            out.str.assign(text);
            return true;
        case '(':
            if (!line(text)) return false;
            check_digits(text, start, errc::bad_integer, "a big number must be decimal digits");
            out.type = kind::big_number;
            out.str.assign(text);
            return true;
        default:
            fail(errc::bad_type_byte, start, "0x" + hex(type) + " does not start a RESP value");
        }
    }

private:
    [[noreturn]] static void fail(errc e, std::size_t at, const std::string& what) { throw protocol_error(e, at, what); }

    static std::string hex(char c) {
        static const char* digits = "0123456789abcdef";
        auto u = static_cast<unsigned char>(c);
        return {digits[u >> 4], digits[u & 15]};
    }

    // The text up to \r\n (both consumed).
    bool line(std::string_view& text) {
        const std::size_t begin = pos_;
        const std::size_t window = std::min(in_.size() - begin, lim_.max_line + 1);
        const std::size_t end = in_.substr(begin, window).find_first_of("\r\n");
        if (end == std::string_view::npos) {
            if (window > lim_.max_line)
                fail(errc::line_too_long, begin, "no CRLF within " + std::to_string(lim_.max_line) + " bytes");
            return false;
        }
        const std::size_t cr = begin + end;
        if (in_[cr] == '\n') fail(errc::missing_crlf, cr, "a line ends in LF without CR");
        if (cr + 1 >= in_.size()) return false;
        if (in_[cr + 1] != '\n') fail(errc::missing_crlf, cr + 1, "CR not followed by LF");
        text = in_.substr(begin, cr - begin);
        pos_ = cr + 2;
        return true;
    }

    static long long to_integer(std::string_view text, std::size_t at) {
        long long n = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || p != text.data() + text.size())
            fail(errc::bad_integer, at, "'" + std::string(text.substr(0, 32)) + "' is not a 64-bit integer");
        return n;
    }

    static void check_digits(std::string_view text, std::size_t at, errc e, const char* what) {
        std::string_view digits = text.substr(!text.empty() && text[0] == '-' ? 1 : 0);
        if (digits.empty()) fail(e, at, what);
        for (char c : digits)
            if (c < '0' || c > '9') fail(e, at, what);
    }

    static void check_double(std::string_view text, std::size_t at) {
        if (text == "inf" || text == "-inf" || text == "nan") return;
        double d = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
        if (text.empty() || ec != std::errc() || p != text.data() + text.size())
            fail(errc::bad_value, at, "'" + std::string(text.substr(0, 32)) + "' is not a RESP3 double");
    }

    // A length header: -1 (null) or 0..max. Returns false when incomplete.
    bool length(long long& n, std::size_t max, std::size_t at) {
        std::string_view text;
        if (!line(text)) return false;
        if (text == "-1") {
            n = -1;
            return true;
        }
        if (text.empty()) fail(errc::bad_length, at, "empty length");
        if (text[0] == '-') fail(errc::bad_length, at, "negative length " + std::string(text.substr(0, 32)) + " (only -1 means null)");
        for (char c : text)
            if (c < '0' || c > '9') fail(errc::bad_length, at, "length '" + std::string(text.substr(0, 32)) + "' is not a decimal number");
        if (text.size() > 18) fail(errc::length_too_large, at, "length " + std::string(text.substr(0, 32)) + " exceeds " + std::to_string(max));
        n = std::stoll(std::string(text));
        if (static_cast<unsigned long long>(n) > max)
            fail(errc::length_too_large, at, "length " + std::to_string(n) + " exceeds the limit " + std::to_string(max));
        return true;
    }

    bool bulk(value& out, kind k) {
        const std::size_t at = pos_ - 1;
        long long n = 0;
        if (!length(n, lim_.max_bulk, at)) return false;
        if (n < 0) {
            out.type = kind::null;
            return true;
        }
        const auto len = static_cast<std::size_t>(n);
        if (in_.size() - pos_ < len + 2) return false;
        if (in_[pos_ + len] != '\r' || in_[pos_ + len + 1] != '\n')
            fail(errc::missing_crlf, pos_ + len, "a bulk string of " + std::to_string(len) + " bytes is not followed by CRLF");
        out.type = k;
        out.str.assign(in_.substr(pos_, len));
        pos_ += len + 2;
        return true;
    }

    bool aggregate(value& out, kind k, std::size_t per_entry, std::size_t depth) {
        const std::size_t at = pos_ - 1;
        long long n = 0;
        if (!length(n, lim_.max_aggregate, at)) return false;
        if (n < 0) {
            out.type = kind::null;
            return true;
        }
        if (depth + 1 > lim_.max_depth)
            fail(errc::too_deep, at, "aggregates nested deeper than " + std::to_string(lim_.max_depth));
        const std::size_t count = static_cast<std::size_t>(n) * per_entry;
        elements_ += count;
        if (elements_ > lim_.max_elements)
            fail(errc::too_many_elements, at, "more than " + std::to_string(lim_.max_elements) + " values in one reply");
        out.type = k;
        // Each value takes at least 3 bytes: never reserve for bytes not yet here.
        out.elements.reserve(std::min(count, (in_.size() - pos_) / 3));
        for (std::size_t i = 0; i < count; ++i) {
            out.elements.emplace_back();
            if (!parse(out.elements.back(), depth + 1)) return false;
        }
        return true;
    }

    std::string_view in_;
    const limits& lim_;
    std::size_t pos_ = 0;
    std::size_t elements_ = 0;
};

void append_arg(std::string& out, std::string_view arg) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out.append(arg);
    out += "\r\n";
}

}  // namespace

std::optional<decoded> decode(std::string_view in, const limits& lim) {
    parser p(in, lim);
    decoded d;
    if (!p.parse(d.reply, 0)) return std::nullopt;
    d.consumed = p.pos();
    return d;
}

void append_command(std::string& out, const std::vector<std::string>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (const auto& a : args) append_arg(out, a);
}

void append_command(std::string& out, std::span<const std::string_view> args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (auto a : args) append_arg(out, a);
}

std::string encode_command(const std::vector<std::string>& args) {
    std::string out;
    append_command(out, args);
    return out;
}

std::string describe(const value& v) {
    auto quoted = [](const std::string& s) {
        std::string out = "\"";
        for (std::size_t i = 0; i < s.size() && i < 200; ++i) {
            auto c = static_cast<unsigned char>(s[i]);
            if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
            else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
            else out += "\\x", out += "0123456789abcdef"[c >> 4], out += "0123456789abcdef"[c & 15];
        }
        if (s.size() > 200) out += "...(" + std::to_string(s.size()) + " bytes)";
        return out + "\"";
    };
    switch (v.type) {
    case kind::simple_string: return v.str;
    case kind::error: return "(error) " + v.str;
    case kind::integer: return "(integer) " + std::to_string(v.integer);
    case kind::bulk_string: return quoted(v.str);
    case kind::null: return "(nil)";
    case kind::boolean: return v.integer ? "(true)" : "(false)";
    case kind::double_number: return "(double) " + v.str;
    case kind::big_number: return "(big number) " + v.str;
    case kind::array:
    case kind::map: {
        std::string out = v.type == kind::map ? "{" : "[";
        for (std::size_t i = 0; i < v.elements.size(); ++i) {
            if (i) out += v.type == kind::map && i % 2 ? ": " : ", ";
            out += describe(v.elements[i]);
        }
        return out + (v.type == kind::map ? "}" : "]");
    }
    }
    return "?";
}

}  // namespace solgrid::redis
