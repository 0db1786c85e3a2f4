// GET /readyz's verdict: ready when the database answers, the schema is
// migrated and the server is not shutting down; otherwise 503 naming what is
// not ready. Pure function of its inputs (no I/O); any thread.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace solgrid::http_api {

struct readiness_inputs {
    std::optional<std::string> database_problem;  // nullopt: the database answers
    bool migrated = false;                        // schema migrations ran
    bool shutting_down = false;                   // SIGTERM/SIGINT arrived
};

struct readiness_verdict {
    boost::beast::http::status status;
    boost::json::object body;  // {"ready":bool,"database":{...},"migrations":bool,"shutting_down":bool,"not_ready":[...]}
};

readiness_verdict readiness(const readiness_inputs& in);

}  // namespace solgrid::http_api
