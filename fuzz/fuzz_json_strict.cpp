// libFuzzer target: the strict JSON parser for request bodies (duplicate
// keys, depth limit, trailing garbage), and the sensor-post and relay-patch
// validators behind it. Whatever parses must serialise and parse again.
#include "common/json_parse.hpp"
#include "common/json_text.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = solgrid::common::parse_json_strict(text);
    if (!r.value) {
        if (r.error.empty()) std::abort();  // a refusal always says why
        return 0;
    }
    auto again = solgrid::common::parse_json_strict(solgrid::common::json_text(*r.value));
    if (!again.value) std::abort();
    return 0;
}
