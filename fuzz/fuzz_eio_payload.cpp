// libFuzzer target: Engine.IO text packets and long-polling payloads, both
// v4 (records split by \x1e, binary ones as "b" + base64) and v3
// (`<UTF-16 length>:<packet>`, binary as "b4" + base64, and the XHR2 binary
// framing). A payload that decodes must encode and decode again to the same
// packets.
#include "engineio/packet.hpp"

#include <cstdlib>

using namespace solgrid::engineio;

namespace {

std::vector<outgoing_ptr> to_outgoing(const std::vector<packet>& packets) {
    std::vector<outgoing_ptr> out;
    for (const auto& p : packets) out.push_back(p.binary ? make_binary(p.data) : make_packet(p.type, p.data));
    return out;
}

void same_or_abort(const std::optional<std::vector<packet>>& again, const std::vector<packet>& packets) {
    if (!again || again->size() != packets.size()) std::abort();
    for (std::size_t i = 0; i < packets.size(); ++i)
        if ((*again)[i].data != packets[i].data || (*again)[i].binary != packets[i].binary ||
            (*again)[i].type != packets[i].type)
            std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)decode_text(text);
    (void)decode_text_v3(text);
    if (auto units = utf16_length(text); units && *units > text.size()) std::abort();
    if (auto packets = decode_payload(text)) same_or_abort(decode_payload(encode_payload(to_outgoing(*packets))), *packets);
    if (auto packets = decode_payload_v3(text)) {
        auto out = to_outgoing(*packets);
        same_or_abort(decode_payload_v3(encode_payload_v3(out, true)), *packets);
    }
    if (auto packets = decode_binary_payload_v3(text)) {
        auto out = to_outgoing(*packets);
        auto body = encode_payload_v3(out, false);
        same_or_abort(any_binary(out) ? decode_binary_payload_v3(body) : decode_payload_v3(body), *packets);
    }
    return 0;
}
