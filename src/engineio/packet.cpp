#include "engineio/packet.hpp"

#include "net/base64.hpp"

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

}  // namespace solgrid::engineio
