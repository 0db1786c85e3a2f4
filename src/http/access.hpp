// The access guard of the REST API (AUTH on): finds who is asking — a
// Bearer token, else the session cookie — and decides whether a route's
// `access` lets them in: 401 when nobody (or an unknown credential) asks for
// something that needs someone, 403 when someone known may not, 429 when an
// ingest client exceeds its rate. A state-changing request that carries the
// session cookie must also carry an Origin that is the server's own or in
// CORS_ORIGINS (403 otherwise), so a page on another site cannot act with a
// visitor's login. Refusals of state-changing requests are written to the
// audit log. Immutable after construction except the rate buckets; any thread.
#pragma once

#include "common/cidr.hpp"
#include "domain/auth_service.hpp"
#include "domain/rate_limit.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

struct access_settings {
    bool public_read = false;
    common::network_list trusted_devices;  // DEVICE_TRUSTED_NETWORKS
    double ingest_rate = 5.0;
    int ingest_burst = 20;
};

// The credential a request presents, looked up (no decision yet).
struct presented {
    std::optional<domain::principal> who;
    bool bad_token = false;   // an Authorization header that names no working token
    bool has_cookie = false;  // a solgrid_session cookie was sent (valid or not)
};
presented identify(const domain::auth_service& auth, const request& req);

class access_control {
public:
    access_control(domain::auth_service& auth, net::cors_policy cors, access_settings s);

    asio::awaitable<std::optional<response>> check(request_context& ctx, access needs);

    domain::auth_service& auth() { return auth_; }

private:
    asio::awaitable<std::optional<response>> refuse(request_context& ctx, http::status status, std::string why,
                                                    std::string field = {});

    domain::auth_service& auth_;
    net::cors_policy cors_;
    access_settings settings_;
    domain::token_buckets ingest_buckets_;
};

}  // namespace solgrid::http_api
