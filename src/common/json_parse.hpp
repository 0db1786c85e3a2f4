// Strict parsing of JSON request bodies: one complete JSON text (nothing
// after it but whitespace), at most `max_depth` levels of nesting, and no
// object that names a key twice, at any depth. Boost.JSON 1.81 keeps one of
// two duplicate keys silently; a body like {"A":true,"A":false} is ambiguous
// (which one did the sender mean?), so it is refused. Keys are compared after
// unescaping, so {"A":1,"\u0041":2} is a duplicate too. Pure; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace solgrid::common {

struct json_parse_result {
    std::optional<boost::json::value> value;  // set on success
    std::string error;                        // what is wrong, for a 400
    // When the problem is a repeated key: where it is, as a dotted path of
    // keys and [index] for array elements ("A", "relays.A", "items[2].id").
    std::string duplicate_key;
};

json_parse_result parse_json_strict(std::string_view text, std::size_t max_depth = 32);

}  // namespace solgrid::common
