#include "engineio/packet.hpp"

#include "net/base64.hpp"

#include <cstdint>
#include <utility>

namespace solgrid::engineio {

outgoing_ptr make_packet(packet_type type, std::string_view data) {
    auto p = std::make_shared<outgoing>();
    p->data.reserve(data.size() + 1);
    p->data += static_cast<char>(type);
    p->data += data;
    return p;
}

outgoing_ptr make_binary(std::string bytes) {
    auto p = std::make_shared<outgoing>();
    p->binary = true;
    p->data = std::move(bytes);
    return p;
}

std::optional<packet> decode_text(std::string_view s) {
    if (s.empty() || s[0] < '0' || s[0] > '6') return std::nullopt;
    return packet{static_cast<packet_type>(s[0]), std::string(s.substr(1)), false};
}

std::optional<std::vector<packet>> decode_payload(std::string_view body) {
    std::vector<packet> out;
    std::size_t start = 0;
    for (;;) {
        auto end = body.find('\x1e', start);
        auto record = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!record.empty() && record[0] == 'b') {
            auto bytes = net::base64_decode(record.substr(1));
            if (!bytes) return std::nullopt;
            out.push_back({packet_type::message, std::move(*bytes), true});
        } else {
            auto p = decode_text(record);
            if (!p) return std::nullopt;
            out.push_back(std::move(*p));
        }
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

std::string encode_payload(std::span<const outgoing_ptr> packets) {
    std::size_t size = 0;
    for (const auto& p : packets) size += p->data.size() * (p->binary ? 2 : 1) + 2;
    std::string out;
    out.reserve(size);
    for (std::size_t i = 0; i < packets.size(); ++i) {
        if (i) out += '\x1e';
        if (packets[i]->binary) {
            out += 'b';
            out += net::base64_encode(packets[i]->data);
        } else {
            out += packets[i]->data;
        }
    }
    return out;
}

// --- Engine.IO v3 ---

namespace {

// One UTF-8 character at s[i]: its byte count and UTF-16 units (1 or 2);
// {0, 0} if invalid (bad lead or continuation, overlong, surrogate, > U+10FFFF).
std::pair<std::size_t, std::size_t> utf8_char(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80) return {1, 1};
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
    else return {0, 0};
    if (i + n > s.size()) return {0, 0};
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return {0, 0};
        cp = cp << 6 | (b(i + k) & 0x3F);
    }
    static constexpr std::uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
    return {n, cp >= 0x10000 ? 2 : 1};
}

// The v3 packet text of one record: "b4"+base64 is a binary message.
std::optional<packet> decode_record_v3(std::string_view record) {
    if (record.size() >= 2 && record[0] == 'b') {
        if (record[1] != static_cast<char>(packet_type::message)) return std::nullopt;
        auto bytes = net::base64_decode(record.substr(2));
        if (!bytes) return std::nullopt;
        return packet{packet_type::message, std::move(*bytes), true};
    }
    return decode_text(record);
}

void append_length_v3(std::string& out, std::size_t n) {
    out += std::to_string(n);
    out += ':';
}

}  // namespace

std::optional<packet> decode_text_v3(std::string_view s) { return decode_record_v3(s); }

std::optional<std::size_t> utf16_length(std::string_view utf8) {
    std::size_t units = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        auto [bytes, u] = utf8_char(utf8, i);
        if (!bytes) return std::nullopt;
        i += bytes;
        units += u;
    }
    return units;
}

std::optional<std::vector<packet>> decode_payload_v3(std::string_view body) {
    if (body.empty()) return std::nullopt;
    std::vector<packet> out;
    std::size_t i = 0;
    while (i < body.size()) {
        // The length: 1–9 digits (no record of ours comes near a billion units).
        std::size_t len = 0, digits = 0;
        while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
            if (++digits > 9) return std::nullopt;
            len = len * 10 + static_cast<std::size_t>(body[i++] - '0');
        }
        if (digits == 0 || i >= body.size() || body[i] != ':' || len == 0) return std::nullopt;
        ++i;
        // `len` UTF-16 units of UTF-8 text, which must end on a character.
        std::size_t start = i, units = 0;
        while (units < len) {
            if (i >= body.size()) return std::nullopt;
            auto [bytes, u] = utf8_char(body, i);
            if (!bytes) return std::nullopt;
            i += bytes;
            units += u;
        }
        if (units != len) return std::nullopt;  // half of a surrogate pair
        auto p = decode_record_v3(body.substr(start, i - start));
        if (!p) return std::nullopt;
        out.push_back(std::move(*p));
    }
    return out;
}

std::optional<std::vector<packet>> decode_binary_payload_v3(std::string_view body) {
    if (body.empty()) return std::nullopt;
    std::vector<packet> out;
    std::size_t i = 0;
    while (i < body.size()) {
        auto flag = static_cast<unsigned char>(body[i++]);
        if (flag > 1) return std::nullopt;
        std::size_t len = 0, digits = 0;
        while (i < body.size() && static_cast<unsigned char>(body[i]) != 0xFF) {
            auto d = static_cast<unsigned char>(body[i++]);
            if (d > 9 || ++digits > 9) return std::nullopt;
            len = len * 10 + d;
        }
        if (digits == 0 || i >= body.size() || len == 0 || len > body.size() - i - 1) return std::nullopt;
        auto record = body.substr(i + 1, len);
        i += 1 + len;
        if (flag == 0) {
            if (!utf16_length(record)) return std::nullopt;
            auto p = decode_record_v3(record);
            if (!p) return std::nullopt;
            out.push_back(std::move(*p));
        } else {
            if (static_cast<unsigned char>(record[0]) != 4) return std::nullopt;  // binary: a message
            out.push_back({packet_type::message, std::string(record.substr(1)), true});
        }
    }
    return out;
}

bool any_binary(std::span<const outgoing_ptr> packets) {
    for (const auto& p : packets)
        if (p->binary) return true;
    return false;
}

std::string encode_payload_v3(std::span<const outgoing_ptr> packets, bool base64) {
    std::string out;
    if (base64 || !any_binary(packets)) {
        for (const auto& p : packets) {
            if (p->binary) {
                auto encoded = net::base64_encode(p->data);
                append_length_v3(out, encoded.size() + 2);
                (out += 'b') += static_cast<char>(packet_type::message);
                out += encoded;
            } else {
                // Our text is valid UTF-8 (JSON we serialised); count it as JS does.
                append_length_v3(out, utf16_length(p->data).value_or(p->data.size()));
                out += p->data;
            }
        }
        return out;
    }
    for (const auto& p : packets) {
        out += static_cast<char>(p->binary ? 1 : 0);
        for (char d : std::to_string(p->data.size() + (p->binary ? 1 : 0))) out += static_cast<char>(d - '0');
        out += static_cast<char>(0xFF);
        if (p->binary) out += static_cast<char>(4);
        out += p->data;
    }
    return out;
}

}  // namespace solgrid::engineio
