// JSON text the way people write numbers: 86.4, not Boost.JSON 1.81's 8.64E1.
// Same output as boost::json::serialize otherwise (strings escaped by it);
// non-finite doubles, which JSON cannot hold, become null. Pure; any thread.
// Shared by every layer that writes JSON for people or browsers (REST
// replies, Socket.IO packets), which is why it lives outside them.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace solgrid::common {

std::string json_text(const boost::json::value& v);
void append_json(std::string& out, const boost::json::value& v);

}  // namespace solgrid::common
