#include "http/readiness.hpp"

#include <boost/json/array.hpp>

namespace solgrid::http_api {

readiness_verdict readiness(const readiness_inputs& in) {
    boost::json::array not_ready;
    boost::json::object database{{"ok", !in.database_problem}};
    if (in.database_problem) {
        database["problem"] = *in.database_problem;
        not_ready.emplace_back("database");
    }
    if (!in.migrated) not_ready.emplace_back("migrations");
    if (in.shutting_down) not_ready.emplace_back("shutting_down");
    bool ready = not_ready.empty();
    boost::json::object o;
    o["ready"] = ready;
    o["database"] = std::move(database);
    o["migrations"] = in.migrated;
    o["shutting_down"] = in.shutting_down;
    if (!ready) o["not_ready"] = std::move(not_ready);
    return {ready ? boost::beast::http::status::ok : boost::beast::http::status::service_unavailable, std::move(o)};
}

}  // namespace solgrid::http_api
