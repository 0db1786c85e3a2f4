#include "device/http_device_gateway.hpp"

#include "domain/device_protocol.hpp"

#include <boost/json.hpp>

namespace solgrid::device {

asio::awaitable<domain::relay_report> http_device_gateway::send_relays(domain::relay_command cmd) {
    http_result res;
    std::string body = boost::json::serialize(domain::command_json(cmd));
    try {
        // Arguments built outside the co_await expression (GCC 12 coroutine temporaries).
        auto exchange = http_request(url_, http::verb::post, "/relay", std::move(body), timeout_);
        res = co_await std::move(exchange);
    } catch (const http_client_error& e) {
        throw domain::device_error(e.what());
    }
    if (res.status < 200 || res.status > 299) {
        std::string snippet = res.body.substr(0, 200);
        throw domain::device_error("device answered POST /relay with HTTP " + std::to_string(res.status) +
                                   (snippet.empty() ? "" : ": " + snippet));
    }
    boost::system::error_code ec;
    auto doc = boost::json::parse(res.body, ec);
    if (ec) co_return domain::relay_report{cmd.state, cmd.version};  // "OK" and nothing more
    // Some firmwares wrap their answer as {"success":…,"data":{…}}.
    if (doc.is_object())
        if (auto* data = doc.as_object().if_contains("data"); data && data->is_object()) doc = *data;
    auto found = domain::find_relay_report(doc, true);
    if (found.problem)
        throw domain::device_error("device's reply to POST /relay is malformed: " + found.problem->message);
    co_return found.value.value_or(domain::relay_report{cmd.state, cmd.version});
}

asio::awaitable<domain::device_probe> http_device_gateway::probe() {
    domain::device_probe out;
    http_result res;
    try {
        auto exchange = http_request(url_, http::verb::get, "/status", {}, timeout_);
        res = co_await std::move(exchange);
    } catch (const http_client_error& e) {
        out.error = e.what();
        co_return out;
    }
    out.latency = res.latency;
    boost::system::error_code ec;
    auto doc = boost::json::parse(res.body, ec);
    if (ec)
        out.report = res.body.empty() ? boost::json::value(nullptr) : boost::json::value(res.body.substr(0, 2000));
    else
        out.report = std::move(doc);
    out.reachable = res.status >= 200 && res.status <= 299;
    if (!out.reachable) out.error = "device answered GET /status with HTTP " + std::to_string(res.status);
    co_return out;
}

}  // namespace solgrid::device
