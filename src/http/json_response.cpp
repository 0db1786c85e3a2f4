#include "http/json_response.hpp"

#include "common/json_text.hpp"

#include <boost/json/serialize.hpp>

namespace solgrid::http_api {

response json(http::status status, const boost::json::value& body, unsigned version) {
    response res{status, version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = common::json_text(body);
    res.prepare_payload();
    return res;
}

response success(http::status status, std::string_view message, const boost::json::value& data, unsigned version) {
    boost::json::object o;
    o["success"] = true;
    o["message"] = message;
    o["data"] = data;
    return json(status, o, version);
}

response error(http::status status, std::string_view message, std::string_view field, unsigned version) {
    boost::json::object o;
    o["success"] = false;
    o["error"] = message;
    if (!field.empty()) o["field"] = field;
    return json(status, o, version);
}

}  // namespace solgrid::http_api
