// Client-side WebSocket frames for tests: masked (as RFC 6455 requires of a
// client) or deliberately not, with a chosen length encoding, so the server
// codec can be fed exactly the bytes a well-behaved or hostile client sends.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace solgrid::test {

struct frame_options {
    bool fin = true;
    bool masked = true;
    std::uint8_t rsv = 0;  // bits 0x70 of the first byte
    // 0: minimal; 16 or 64: force that extended length form (may be non-minimal).
    int length_form = 0;
    std::array<unsigned char, 4> mask{0x37, 0xfa, 0x21, 0x3d};
    // Announce this length instead of the payload's (for hostile headers).
    std::uint64_t claimed_length = UINT64_MAX;
};

inline std::string client_frame(std::uint8_t opcode, std::string_view payload, frame_options o = {}) {
    std::string f;
    f += static_cast<char>((o.fin ? 0x80 : 0) | (o.rsv & 0x70) | (opcode & 0x0f));
    std::uint64_t n = o.claimed_length == UINT64_MAX ? payload.size() : o.claimed_length;
    unsigned char m = o.masked ? 0x80 : 0;
    int form = o.length_form ? o.length_form : (n < 126 ? 7 : n < 65536 ? 16 : 64);
    if (form == 7) {
        f += static_cast<char>(m | n);
    } else if (form == 16) {
        f += static_cast<char>(m | 126);
        f += static_cast<char>(n >> 8 & 0xff);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(m | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>(n >> (8 * i) & 0xff);
    }
    if (o.masked) {
        for (auto b : o.mask) f += static_cast<char>(b);
        for (std::size_t i = 0; i < payload.size(); ++i)
            f += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ o.mask[i & 3]);
    } else {
        f += payload;
    }
    return f;
}

inline std::string client_text(std::string_view s) { return client_frame(0x1, s); }
inline std::string client_binary(std::string_view s) { return client_frame(0x2, s); }

inline std::string close_body(std::uint16_t code, std::string_view reason = {}) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xff);
    p += reason;
    return p;
}

// Decodes one unmasked server frame at the start of `in`; returns the bytes
// it used (0 if incomplete). Server frames are never fragmented here.
struct server_frame {
    std::uint8_t opcode = 0;
    bool fin = false;
    std::string payload;
};
inline std::size_t parse_server_frame(std::string_view in, server_frame& out) {
    if (in.size() < 2) return 0;
    auto b0 = static_cast<unsigned char>(in[0]), b1 = static_cast<unsigned char>(in[1]);
    std::uint64_t n = b1 & 0x7f;
    std::size_t h = 2;
    if (n == 126) {
        if (in.size() < 4) return 0;
        n = std::uint64_t(static_cast<unsigned char>(in[2])) << 8 | static_cast<unsigned char>(in[3]);
        h = 4;
    } else if (n == 127) {
        if (in.size() < 10) return 0;
        n = 0;
        for (int i = 0; i < 8; ++i) n = n << 8 | static_cast<unsigned char>(in[2 + i]);
        h = 10;
    }
    if (in.size() < h + n) return 0;
    out.opcode = b0 & 0x0f;
    out.fin = b0 & 0x80;
    out.payload.assign(in.substr(h, n));
    return h + n;
}

}  // namespace solgrid::test
