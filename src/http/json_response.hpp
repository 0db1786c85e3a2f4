// JSON responses in the seed's style, and the one place an error becomes a
// status code. Pure functions; any thread.
#pragma once

#include "net/types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace solgrid::http_api {

namespace http = boost::beast::http;
using net::request;
using net::response;

response json(http::status status, const boost::json::value& body, unsigned version = 11);

// {"success":true,"message":…,"data":…}
response success(http::status status, std::string_view message, const boost::json::value& data,
                 unsigned version = 11);

// {"success":false,"error":…[,"field":…]}
response error(http::status status, std::string_view message, std::string_view field = {}, unsigned version = 11);

}  // namespace solgrid::http_api
