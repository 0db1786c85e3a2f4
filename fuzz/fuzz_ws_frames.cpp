// libFuzzer target: the WebSocket frame parser (net/ws_codec) fed hostile
// bytes, split at a point the input chooses (frames arrive in pieces).
// Checks its own invariants: an event never exceeds the message limit.
#include "net/ws_codec.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    constexpr std::size_t max_message = 4096;
    solgrid::net::ws::frame_parser parser(max_message);
    std::vector<solgrid::net::ws::event> events;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t cut = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
    if (parser.feed(bytes.substr(0, cut), events) == 0) parser.feed(bytes.substr(cut), events);
    for (const auto& e : events)
        if (e.data.size() > max_message) std::abort();
    return 0;
}
