// libFuzzer target: Engine.IO text packets and long-polling payloads
// (records split by \x1e, binary ones as "b" + base64). A payload that
// decodes must encode and decode again to the same packets.
#include "engineio/packet.hpp"

#include <cstdlib>

using namespace solgrid::engineio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)decode_text(text);
    auto packets = decode_payload(text);
    if (!packets) return 0;
    std::vector<outgoing_ptr> out;
    for (const auto& p : *packets)
        out.push_back(p.binary ? make_binary(p.data) : make_packet(p.type, p.data));
    auto again = decode_payload(encode_payload(out));
    if (!again || again->size() != packets->size()) std::abort();
    for (std::size_t i = 0; i < packets->size(); ++i)
        if ((*again)[i].data != (*packets)[i].data || (*again)[i].binary != (*packets)[i].binary) std::abort();
    return 0;
}
