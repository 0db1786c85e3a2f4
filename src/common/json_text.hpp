// JSON text the way people write numbers: 86.4, not Boost.JSON 1.81's 8.64E1.
// Same output as boost::json::serialize otherwise (strings escaped by it,
// bytes that are not UTF-8 replaced by U+FFFD so the text is always JSON);
// non-finite doubles, which JSON cannot hold, become null. Pure; any thread.
// append_number() is the one number formatter of solgrid's output (JSON,
// Socket.IO packets and CSV alike): integers without a fraction, others in
// the shortest fixed notation that reads back to the same double, never an
// exponent (a spreadsheet and a person both read 0.0001, not 1e-04).
// Shared by every layer that writes JSON for people or browsers (REST
// replies, Socket.IO packets), which is why it lives outside them.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace solgrid::common {

std::string json_text(const boost::json::value& v);
// `v` must be finite; -0 is written as 0.
void append_number(std::string& out, double v);
std::string number_text(double v);
void append_json(std::string& out, const boost::json::value& v);

}  // namespace solgrid::common
