// The access-control routes: /api/auth/login, /logout, /me; and for admins
// /api/users, /api/devices (tokens shown once) and /api/audit. With AUTH=off
// only /api/auth/me exists (it says so, for the dashboard's banner).
#pragma once

#include "domain/auth_service.hpp"
#include "http/router.hpp"

#include <boost/json/object.hpp>

namespace solgrid::http_api {

struct auth_routes_context {
    domain::auth_service* auth = nullptr;  // null: AUTH=off
    std::chrono::seconds session_ttl{168 * 3600};
    bool public_read = false;  // PUBLIC_READ: /me's 401 says so (the dashboard then shows a read-only view)
};

void add_auth_routes(router& r, auth_routes_context ctx);

// {"username","role","household"} of a user.
boost::json::object user_json(const std::string& username, domain::role role, std::optional<char> household);

}  // namespace solgrid::http_api
