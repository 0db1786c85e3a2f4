// The JSON the server and a device exchange about relays, in one place:
//   command (server → device, POST {ARDUINO_URL}/relay and the `relays` +
//   `relay_version` of every sensor-post reply):
//       {"A":true,"B":false,"C":false,"D":false,"version":1764…}
//   report (device → server: its /relay reply, its /status, its sensor posts):
//       {"relays":{"A":true,…},"relay_version":1764…}  (or A–D at top level)
// Pure functions; any thread. Problems come back as a rule_violation naming
// the field, for a 400 or a device_error.
#pragma once

#include "domain/device_gateway.hpp"

#include <boost/json/object.hpp>

namespace solgrid::domain {

struct parsed_relay_report {
    std::optional<relay_report> value;          // nullopt: absent or invalid
    std::optional<rule_violation> problem;      // set when present but invalid
};

// {"A":bool,"B":bool,"C":bool,"D":bool}: all four, booleans, nothing else.
// `field` names the object in messages ("relays").
std::optional<relay_state> parse_relay_object(const boost::json::value& v, std::string_view field,
                                              rule_violation& problem);

// The relay report in a device document: `relays` (an object as above) with
// an optional `relay_version` (integer ≥ 0); or, if `top_level_ok`, A–D
// (and `version`) directly in the document. Absent is not a problem.
parsed_relay_report find_relay_report(const boost::json::value& doc, bool top_level_ok);

// {"A":bool,"B":bool,"C":bool,"D":bool}
boost::json::object relays_json(const relay_state& s);

// The command body: A–D and version.
boost::json::object command_json(const relay_command& cmd);

// A command read by a device (the simulator): A–D (any subset, merged into
// `current`) and an optional version.
struct parsed_command {
    std::optional<relay_command> value;
    rule_violation problem;
};
parsed_command parse_command(const boost::json::value& doc, const relay_state& current);

}  // namespace solgrid::domain
