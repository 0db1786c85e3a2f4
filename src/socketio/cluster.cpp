#include "socketio/cluster.hpp"

namespace solgrid::socketio {

std::optional<offset_key> parse_stream_id(std::string_view text) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
    auto number = [](std::string_view part) -> std::optional<std::uint64_t> {
        if (part.size() > 20) return std::nullopt;
        std::uint64_t v = 0;
        for (char c : part) {
            if (c < '0' || c > '9') return std::nullopt;
            auto d = static_cast<std::uint64_t>(c - '0');
            if (v > (UINT64_MAX - d) / 10) return std::nullopt;
            v = v * 10 + d;
        }
        return v;
    };
    auto a = number(text.substr(0, dash));
    auto b = number(text.substr(dash + 1));
    if (!a || !b) return std::nullopt;
    return offset_key{*a, *b};
}

std::string to_stream_id(offset_key k) { return std::to_string(k.major) + "-" + std::to_string(k.minor); }

}  // namespace solgrid::socketio
