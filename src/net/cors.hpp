// Cross-origin policy from CORS_ORIGINS: "*" or an exact allow-list of
// origins. Used by the REST API and the Engine.IO polling transport.
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
    // True if a request from `origin` may read responses.
    bool allows(std::string_view origin) const;

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
