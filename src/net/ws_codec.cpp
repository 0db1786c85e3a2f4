#include "net/ws_codec.hpp"

#include "net/base64.hpp"
#include "net/sha1.hpp"

namespace solgrid::net::ws {

std::uint16_t frame_parser::feed(std::string_view bytes, std::vector<event>& out) {
    std::size_t used = 0;
    if (buf_.empty()) {
        // Common case: whole frames straight from the caller's buffer.
        auto err = parse(bytes, used, out);
        if (err) return err;
        if (used < bytes.size()) buf_.assign(bytes.substr(used));
        return 0;
    }
    buf_.append(bytes);
    auto err = parse(buf_, used, out);
    if (err) return err;
    buf_.erase(0, used);
    if (buf_.empty()) std::string().swap(buf_);  // idle connections hold no buffer
    return 0;
}

std::uint16_t frame_parser::parse(std::string_view in, std::size_t& used, std::vector<event>& out) {
    used = 0;
    while (in.size() - used >= 2) {
        const auto* p = reinterpret_cast<const unsigned char*>(in.data() + used);
        std::size_t avail = in.size() - used;
        bool fin = p[0] & 0x80;
        if (p[0] & 0x70) return close_code::protocol_error;  // no extensions negotiated
        auto op = static_cast<opcode>(p[0] & 0x0f);
        bool masked = p[1] & 0x80;
        if (!masked) return close_code::protocol_error;  // clients must mask
        std::uint64_t len = p[1] & 0x7f;
        std::size_t header = 2;
        if (len == 126) {
            if (avail < 4) return 0;
            len = std::uint64_t(p[2]) << 8 | p[3];
            header = 4;
            if (len < 126) return close_code::protocol_error;  // not minimal
        } else if (len == 127) {
            if (avail < 10) return 0;
            len = 0;
            for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
            header = 10;
            if (len >> 63 || len < 65536) return close_code::protocol_error;
        }
        bool control = static_cast<int>(op) & 0x8;
        if (control) {
            if (!fin || len > 125) return close_code::protocol_error;
            if (op != opcode::close && op != opcode::ping && op != opcode::pong) return close_code::protocol_error;
        } else if (op != opcode::text && op != opcode::binary && op != opcode::continuation) {
            return close_code::protocol_error;
        }
        std::uint64_t so_far = in_message_ && op == opcode::continuation ? message_.size() : 0;
        if (!control && len + so_far > max_) return close_code::too_big;
        if (avail < header + 4 + len) return 0;  // wait for the rest
        const unsigned char* mask = p + header;
        const unsigned char* data = mask + 4;
        std::string payload(static_cast<std::size_t>(len), '\0');
        for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(data[i] ^ mask[i & 3]);
        used += header + 4 + static_cast<std::size_t>(len);

        switch (op) {
        case opcode::ping:
            out.push_back({event::ping, std::move(payload)});
            break;
        case opcode::pong:
            out.push_back({event::pong, std::move(payload)});
            break;
        case opcode::close: {
            if (payload.size() == 1) return close_code::protocol_error;
            std::uint16_t code = close_code::normal;
            std::string reason;
            if (payload.size() >= 2) {
                code = static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                                  static_cast<unsigned char>(payload[1]));
                // RFC 6455 §7.4: codes an endpoint may put in a close frame.
                // Others (1005/1006/1015, unassigned) are a protocol error; we
                // would otherwise echo them back in our own close frame.
                bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                                (code >= 3000 && code <= 4999);
                if (!sendable) return close_code::protocol_error;
                reason = payload.substr(2);
                if (!valid_utf8(reason)) return close_code::invalid_payload;
            }
            out.push_back({event::close, std::move(reason), code});
            return 0;  // nothing after a close frame is read
        }
        case opcode::text:
        case opcode::binary:
            if (in_message_) return close_code::protocol_error;
            if (fin) {
                if (op == opcode::text && !valid_utf8(payload)) return close_code::invalid_payload;
                out.push_back({op == opcode::text ? event::text : event::binary, std::move(payload)});
            } else {
                in_message_ = true;
                message_op_ = op;
                message_ = std::move(payload);
            }
            break;
        case opcode::continuation:
            if (!in_message_) return close_code::protocol_error;
            message_ += payload;
            if (fin) {
                in_message_ = false;
                if (message_op_ == opcode::text && !valid_utf8(message_)) return close_code::invalid_payload;
                out.push_back({message_op_ == opcode::text ? event::text : event::binary, std::move(message_)});
                std::string().swap(message_);
            }
            break;
        }
    }
    return 0;
}

std::size_t encode_header(unsigned char out[10], opcode op, std::size_t n) {
    out[0] = static_cast<unsigned char>(0x80 | static_cast<int>(op));
    if (n < 126) {
        out[1] = static_cast<unsigned char>(n);
        return 2;
    }
    if (n < 65536) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(n >> 8);
        out[3] = static_cast<unsigned char>(n);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(n) >> (56 - 8 * i));
    return 10;
}

std::string encode_frame(opcode op, std::string_view payload) {
    unsigned char h[10];
    auto n = encode_header(h, op, payload.size());
    std::string f(reinterpret_cast<char*>(h), n);
    f += payload;
    return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xff);
    p += reason;
    return p;
}

std::string accept_key(std::string_view client_key) {
    std::string s(client_key);
    s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    auto d = sha1(s);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0, n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
        else return false;
        if (i + len > n) return false;
        for (int k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = cp << 6 | (cc & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

}  // namespace solgrid::net::ws
