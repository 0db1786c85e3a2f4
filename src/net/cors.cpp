#include "net/cors.hpp"

#include <algorithm>

namespace solgrid::net {

cors_policy::cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {
    any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool cors_policy::allows(std::string_view origin) const {
    return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

namespace {

// "http://host:port" or "https://host:port" whose authority is the Host header.
bool same_origin(std::string_view origin, std::string_view host) {
    if (host.empty()) return false;
    for (std::string_view scheme : {"http://", "https://"})
        if (origin.size() == scheme.size() + host.size() && origin.substr(0, scheme.size()) == scheme &&
            origin.substr(scheme.size()) == host)
            return true;
    return false;
}

}  // namespace

bool cors_policy::origin_present_and_allowed(const request& req) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) return false;
    return allows(it->value()) || same_origin(it->value(), req[http::field::host]);
}

bool cors_policy::allows_origin_of(const request& req) const {
    return req.find(http::field::origin) == req.end() || origin_present_and_allowed(req);
}

void cors_policy::apply(const request& req, response& res, bool credentials) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) {
        if (any_ && !credentials) res.set(http::field::access_control_allow_origin, "*");
        return;
    }
    std::string_view origin = it->value();
    if (!allows_origin_of(req)) return;
    if (any_ && !credentials) {
        res.set(http::field::access_control_allow_origin, "*");
    } else {
        res.set(http::field::access_control_allow_origin, origin);
        res.set(http::field::vary, "Origin");
        if (credentials) res.set(http::field::access_control_allow_credentials, "true");
        // The dashboard shows "try again in N s" from a 429's Retry-After.
        res.set(http::field::access_control_expose_headers, "Retry-After");
    }
}

response cors_policy::preflight(const request& req, std::string_view methods, bool credentials) const {
    auto it = req.find(http::field::origin);
    bool ok = it == req.end() || allows_origin_of(req);
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
