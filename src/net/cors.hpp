// Cross-origin policy from CORS_ORIGINS: "*" or an exact allow-list of
// origins; the server's own origin (the request's Host, either scheme) is
// always allowed, so an empty list means "same origin only". Used by the
// REST API, the access guard and the Engine.IO transports.
// Immutable after construction; any thread.
#pragma once

#include "net/types.hpp"

#include <string>
#include <vector>

namespace solgrid::net {

class cors_policy {
public:
    explicit cors_policy(std::vector<std::string> origins);

    bool allows_any() const { return any_; }
    // True if `origin` is listed (or the list is "*").
    bool allows(std::string_view origin) const;
    // True if the request has no Origin header, or its Origin is listed or
    // is the server's own (scheme://Host of the request itself).
    bool allows_origin_of(const request& req) const;
    // The request's Origin is present and allowed (listed, or the server's own).
    bool origin_present_and_allowed(const request& req) const;

    // Adds Access-Control-Allow-Origin (and Vary) for the request's Origin.
    // With credentials the origin is echoed, never "*", as browsers require.
    void apply(const request& req, response& res, bool credentials = false) const;

    // The answer to an OPTIONS preflight (204), or 403 for an origin not allowed.
    response preflight(const request& req, std::string_view methods, bool credentials = false) const;

private:
    std::vector<std::string> origins_;
    bool any_ = false;
};

}  // namespace solgrid::net
