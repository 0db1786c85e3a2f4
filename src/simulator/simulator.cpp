#include "simulator/simulator.hpp"

#include "simulator/device_token.hpp"

#include "config/config.hpp"
#include "device/http_client.hpp"
#include "mqtt/client.hpp"
#include "mqtt/topics.hpp"
#include "domain/device_protocol.hpp"
#include "http/json_response.hpp"
#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <random>

namespace solgrid::simulator {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// The simulator talks to solgrid the way a device does, over HTTP.
using device::base_url;
using device::http_client_error;
using device::http_request;
using device::http_result;
using device::parse_base_url;

namespace {

using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string describe(const domain::relay_state& s) {
    std::string out;
    for (std::size_t i = 0; i < s.on.size(); ++i)
        out += std::string(i ? " " : "") + domain::household_names[i] + (s.on[i] ? "=on" : "=off");
    return out;
}

// The device: everything below runs on the simulator's one thread.
class virtual_arduino {
public:
    virtual_arduino(const simulator_options& o, base_url server)
        : opts_(o),
          server_(std::move(server)),
          clock_{o.start_hour ? today_at(*o.start_hour) : domain::clock::now(), o.speed},
          started_(steady::now()),
          model_(o.model, o.seed ? o.seed : std::random_device{}(), to_sim_time(clock_.start)) {}

    net::handlers handlers() {
        net::handlers h;
        h.http = [this](net::request& req, const net::request_info&) -> asio::awaitable<net::response> {
            co_return handle(req);
        };
        return h;
    }

    asio::awaitable<void> post_loop() {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer_ = &timer;
        auto interval = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(opts_.interval_s));
        auto next = steady::now();
        while (!stopping_) {
            co_await post_once();
            next += interval;
            if (next < steady::now()) next = steady::now();  // a slow server: skip, never burst
            timer.expires_at(next);
            co_await timer.async_wait(use_tuple);
        }
        timer_ = nullptr;
    }

    void stop() {
        stopping_ = true;
        if (timer_) timer_->cancel();
    }

    // --mqtt: readings go to `link` (owned by run_simulator) instead of HTTP.
    void use_mqtt(mqtt::client* link, mqtt::topics names, std::string device) {
        mqtt_ = link;
        topics_ = std::move(names);
        device_ = std::move(device);
    }

    // The broker accepted us: say we are here and how the relays are.
    void mqtt_connected() {
        mqtt_->publish(topics_->device_status(device_), "online", 1, true);
        publish_relay_state();
    }

    // A relay/set message (on the simulator's thread).
    void mqtt_command(const std::string& payload) {
        boost::system::error_code ec;
        auto doc = boost::json::parse(payload, ec);
        if (ec) {
            spdlog::warn("simulator: relay/set is not JSON: {}", ec.message());
            return;
        }
        auto cmd = domain::parse_command(doc, relays_);
        if (!cmd.value) {
            spdlog::warn("simulator: relay/set refused: {}", cmd.problem.message);
            return;
        }
        apply(*cmd.value, "MQTT relay/set");
        publish_relay_state();
    }

private:
    domain::time_point sim_now() const { return clock_.at(steady::now() - started_); }

    void advance() { model_.advance(to_sim_time(sim_now()), relays_); }

    // Applies a desired state unless an older command than the one applied.
    bool apply(const domain::relay_command& cmd, std::string_view via) {
        if (cmd.version != 0 && cmd.version < version_) return false;
        if (cmd.state != relays_) {
            advance();  // bill the past with the old loads
            spdlog::info("simulator: relays {} (from {})", describe(cmd.state), via);
        }
        relays_ = cmd.state;
        if (cmd.version != 0) version_ = cmd.version;
        return true;
    }

    void publish_relay_state() {
        auto state = domain::command_json({relays_, version_});  // {"A":…,"D":…,"version":N}
        mqtt_->publish(topics_->relay_state(device_), boost::json::serialize(state), 1, true);
    }

    void publish_reading(const boost::json::object& body) {
        if (!mqtt_->publish(topics_->telemetry(device_), boost::json::serialize(body), 1, false)) {
            ++posts_failed_;
            last_error_ = "not connected to the MQTT broker";
            return;  // the client logs the connection state itself
        }
        if (++posts_ok_ == 1) spdlog::info("simulator: publishing readings to {}", topics_->telemetry(device_));
        last_error_.clear();
    }

    asio::awaitable<void> post_once() {
        advance();
        last_ = model_.sample(relays_);
        boost::json::object body;
        body["soc"] = last_.soc;
        body["solar_w"] = last_.solar_w;
        body["lux"] = last_.lux;
        body["relays"] = domain::relays_json(relays_);
        body["relay_version"] = version_;
        if (opts_.meters) body["meter_wh"] = meters_json(last_.meter_wh);
        if (mqtt_) {
            publish_reading(body);
            co_return;
        }
        std::string error;
        failure kind = failure::none;
        http_result res;
        try {
            // Arguments built outside the co_await expression (GCC 12 coroutine temporaries).
            auto exchange = http_request(server_, http::verb::post, "/api/data/solar", boost::json::serialize(body),
                                         opts_.timeout, post_headers(opts_.token));
            res = co_await std::move(exchange);
            if (auto refused = refusal(res.status, res.body, !opts_.token.empty())) {
                kind = failure::refused;
                error = *refused;
            } else if (res.status < 200 || res.status > 299) {
                kind = failure::answered;
                error = "server answered HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 200);
            }
        } catch (const http_client_error& e) {
            kind = failure::unreachable;
            error = e.what();
        }
        if (kind != failure::none) {
            ++posts_failed_;
            // Once per kind of failure, not once per interval.
            if (kind != last_failure_) {
                if (kind == failure::refused)
                    spdlog::error("simulator: {} (retrying every interval)", error);
                else if (kind == failure::unreachable && posts_ok_ == 0)
                    spdlog::info("simulator: waiting for the server at {} ({})", server_.to_string(), error);
                else
                    spdlog::warn("simulator: cannot post a reading: {} (retrying every interval)", error);
            }
            last_failure_ = kind;
            last_error_ = error;
            co_return;
        }
        last_failure_ = failure::none;
        ++posts_ok_;
        if (posts_ok_ == 1 || !last_error_.empty()) spdlog::info("simulator: posting readings to {}", server_.to_string());
        last_error_.clear();
        take_desired(res.body);
    }

    // The desired state in a post's reply: data.relays (+ data.relay_version).
    void take_desired(const std::string& reply) {
        boost::system::error_code ec;
        auto doc = boost::json::parse(reply, ec);
        if (ec || !doc.is_object()) return;
        auto* data = doc.as_object().if_contains("data");
        if (!data) return;
        auto found = domain::find_relay_report(*data, false);
        if (!found.value) return;
        apply({found.value->state, found.value->version.value_or(0)}, "post reply");
    }

    net::response handle(net::request& req) {
        std::string_view target = req.target();
        std::string path(target.substr(0, target.find('?')));
        auto v = req.version();
        if (path == "/status" && (req.method() == http::verb::get || req.method() == http::verb::head))
            return http_api::json(http::status::ok, status_json(), v);
        if (path == "/relay" && req.method() == http::verb::post) {
            boost::system::error_code ec;
            auto doc = boost::json::parse(req.body(), ec);
            if (ec) return http_api::error(http::status::bad_request, "body must be valid JSON: " + ec.message(), {}, v);
            auto cmd = domain::parse_command(doc, relays_);
            if (!cmd.value) return http_api::error(http::status::bad_request, cmd.problem.message, cmd.problem.field, v);
            bool applied = apply(*cmd.value, "POST /relay");
            boost::json::object o;
            o["success"] = true;
            o["applied"] = applied;
            if (!applied) o["message"] = "ignored: older than the command already applied";
            o["relays"] = domain::relays_json(relays_);
            o["relay_version"] = version_;
            return http_api::json(http::status::ok, o, v);
        }
        if (path == "/status" || path == "/relay")
            return http_api::error(http::status::method_not_allowed, "method not allowed on " + path, {}, v);
        return http_api::error(http::status::not_found, "no route " + path + " (try GET /status, POST /relay)", {}, v);
    }

    boost::json::object status_json() {
        advance();
        auto s = model_.sample(relays_);
        boost::json::object o;
        o["device"] = "solgrid-simulator";
        o["firmware"] = "solgrid-simulate/1";
        o["uptime_s"] = std::round(std::chrono::duration<double>(steady::now() - started_).count() * 10) / 10;
        o["relays"] = domain::relays_json(relays_);
        o["relay_version"] = version_;
        o["soc"] = s.soc;
        o["solar_w"] = s.solar_w;
        o["lux"] = s.lux;
        o["battery_wh"] = std::round(s.energy_wh * 10) / 10;
        o["load_w"] = s.load_w;
        o["cloud_cover"] = std::round(s.cloud_cover * 100) / 100;
        if (opts_.meters) o["meter_wh"] = meters_json(s.meter_wh);
        o["sim_time"] = domain::to_iso8601(sim_now());
        o["speed"] = opts_.speed;
        o["interval_s"] = opts_.interval_s;
        o["server"] = server_.to_string();
        o["posts_ok"] = posts_ok_;
        o["posts_failed"] = posts_failed_;
        o["last_post_error"] = last_error_.empty() ? boost::json::value(nullptr) : boost::json::value(last_error_);
        return o;
    }

    simulator_options opts_;
    base_url server_;
    sim_clock clock_;
    steady::time_point started_;
    sim_model model_;
    sim_sample last_;
    domain::relay_state relays_;
    std::int64_t version_ = 0;
    std::uint64_t posts_ok_ = 0, posts_failed_ = 0;
    std::string last_error_;
    enum class failure { none, unreachable, answered, refused };
    failure last_failure_ = failure::none;
    asio::steady_timer* timer_ = nullptr;
    bool stopping_ = false;
    mqtt::client* mqtt_ = nullptr;
    std::optional<mqtt::topics> topics_;
    std::string device_;
};

}  // namespace

boost::json::object meters_json(const std::array<double, 4>& meter_wh) {
    boost::json::object o;
    for (std::size_t i = 0; i < meter_wh.size(); ++i)
        o[std::string(1, domain::household_names[i])] = std::floor(std::max(0.0, meter_wh[i]) * 1000.0) / 1000.0;
    return o;
}

std::string check(const simulator_options& o) {
    std::string why;
    if (!parse_base_url(o.server, &why)) return "--server: " + why;
    if (!o.mqtt_url.empty()) {
        try {
            config::from_variables({{"MQTT_URL", o.mqtt_url}});
        } catch (const std::exception& e) {
            return std::string("--mqtt: ") + e.what();
        }
        if (!mqtt::valid_level(o.mqtt_device)) return "--device must be 1-64 of A-Z, a-z, 0-9, '_' and '-'";
    }
    if (!o.token.empty())
        if (auto bad = check_token(o.token); !bad.empty()) return "--token " + bad;
    if (!(o.interval_s >= 0.05 && o.interval_s <= 3600)) return "--interval must be between 0.05 and 3600 seconds";
    if (!(o.speed > 0 && o.speed <= 100000)) return "--speed must be > 0 and at most 100000";
    if (o.start_hour && !(*o.start_hour >= 0 && *o.start_hour < 24)) return "--start-hour must be in [0, 24)";
    if (!(o.model.capacity_wh > 0)) return "--capacity-wh must be > 0";
    if (!(o.model.panel_w >= 0)) return "--panel-w must be >= 0";
    if (!(o.model.initial_soc >= 0 && o.model.initial_soc <= 100)) return "--soc must be between 0 and 100";
    for (double w : o.model.loads_w)
        if (!(w >= 0)) return "--loads must be four numbers >= 0 (W for A, B, C, D)";
    if (!(o.model.cloudiness >= 0 && o.model.cloudiness <= 1)) return "--cloudiness must be between 0 and 1";
    return {};
}

int run_simulator(const simulator_options& o) {
    auto server = parse_base_url(o.server);
    asio::io_context ioc(1);
    virtual_arduino device(o, *server);

    net::server_options sopts;
    sopts.host = o.host;
    sopts.port = o.port;
    sopts.body_limit = 16 * 1024;
    sopts.port_setting = "--port";  // what the message tells a person to change
    sopts.read_timeout = std::chrono::seconds(10);
    net::http_server http(ioc, sopts, device.handlers());
    http.start();
    spdlog::info("simulator listening on http://{}:{} (posting to {} every {} s, speed {}x)", o.host, http.port(),
                 server->to_string(), o.interval_s, o.speed);

    std::unique_ptr<mqtt::client> link;
    if (!o.mqtt_url.empty()) {
        auto url = config::from_variables({{"MQTT_URL", o.mqtt_url}});  // checked by check()
        mqtt::topics names(o.site);
        mqtt::client::options co;
        co.host = url.mqtt_host;
        co.port = url.mqtt_port;
        co.tls = url.mqtt_tls;
        co.ca_file = o.mqtt_ca_file;
        co.username = o.mqtt_username;
        co.password = o.mqtt_password;
        co.client_id = "solgrid-sim-" + o.site + "-" + o.mqtt_device;
        co.will_topic = names.device_status(o.mqtt_device);
        co.will_payload = "offline";
        co.subscriptions = {names.relay_set(o.mqtt_device)};
        co.label = "simulator MQTT";
        mqtt::client::handlers h;
        // Called on the client's thread: hand everything to the simulator's.
        h.connected = [&ioc, &device] { asio::post(ioc, [&device] { device.mqtt_connected(); }); };
        h.message = [&ioc, &device](std::string, std::string payload, bool) {
            asio::post(ioc, [&device, p = std::move(payload)] { device.mqtt_command(p); });
        };
        link = std::make_unique<mqtt::client>(std::move(co), std::move(h));
        device.use_mqtt(link.get(), names, o.mqtt_device);
        spdlog::info("simulator: device '{}' on MQTT {} (site '{}')", o.mqtt_device, o.mqtt_url, o.site);
        link->start();
    }

    asio::co_spawn(ioc, device.post_loop(), asio::detached);

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        spdlog::info("simulator: stopping");
        device.stop();
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                co_await http.shutdown(std::chrono::milliseconds(500));
                ioc.stop();
            },
            asio::detached);
    });
    ioc.run();
    if (link) link->stop(mqtt::topics(o.site).device_status(o.mqtt_device), "offline");
    return 0;
}

}  // namespace solgrid::simulator
