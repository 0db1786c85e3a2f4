#include "net/cors.hpp"

#include <algorithm>

namespace solgrid::net {

cors_policy::cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {
    any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool cors_policy::allows(std::string_view origin) const {
    return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void cors_policy::apply(const request& req, response& res, bool credentials) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) {
        if (any_ && !credentials) res.set(http::field::access_control_allow_origin, "*");
        return;
    }
    std::string_view origin = it->value();
    if (!allows(origin)) return;
    if (any_ && !credentials) {
        res.set(http::field::access_control_allow_origin, "*");
    } else {
        res.set(http::field::access_control_allow_origin, origin);
        res.set(http::field::vary, "Origin");
        if (credentials) res.set(http::field::access_control_allow_credentials, "true");
    }
}

response cors_policy::preflight(const request& req, std::string_view methods, bool credentials) const {
    auto it = req.find(http::field::origin);
    bool ok = it == req.end() || allows(it->value());
    response res{ok ? http::status::no_content : http::status::forbidden, req.version()};
    if (ok) {
        apply(req, res, credentials);
        res.set(http::field::access_control_allow_methods, methods);
        auto hdr = req.find(http::field::access_control_request_headers);
        res.set(http::field::access_control_allow_headers,
                hdr != req.end() ? std::string(hdr->value()) : std::string("Content-Type, Authorization"));
        res.set(http::field::access_control_max_age, "86400");
    } else {
        res.set(http::field::content_type, "application/json");
        res.body() = R"({"success":false,"error":"origin not allowed"})";
    }
    res.prepare_payload();
    return res;
}

}  // namespace solgrid::net
