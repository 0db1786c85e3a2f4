// `solgrid simulate`: a virtual Arduino for demos and tests, no hardware.
// It serves the device API the server talks to (GET /status, POST /relay)
// on its own small HTTP server (net::http_server), posts a reading every
// `interval` to {server}/api/data/solar (with its relay state), and applies
// the desired relay state from each post's reply (devices behind NAT do the
// same). Its physics is sim_model; `speed` runs the simulated clock faster
// than the wall clock (60: an hour a minute).
//
// Each post carries "meter_wh": the households' cumulative Wh counters from
// the physics (what each drew while its relay was on), unless --no-meters
// (SIM_NO_METERS=1), which sends the seed Arduino's post without them.
//
// With a device token (--token / SIM_TOKEN) every post carries
// `Authorization: Bearer <token>`; a post the server refuses for it (401,
// 403, 429) is logged once with the server's reason and retried at the
// normal interval, like any other failed post.
//
// With --mqtt URL it speaks MQTT instead (docs/mqtt.md): each reading goes
// to solgrid/<site>/<device>/telemetry, its last will sets
// solgrid/<site>/<device>/status to "offline" (it publishes "online",
// retained, on connect), and it obeys solgrid/<site>/<device>/relay/set,
// answering with the retained solgrid/<site>/<device>/relay/state.
//
// run_simulator() owns a one-thread io_context, so the simulator's state is
// only touched from that thread; it returns on SIGINT/SIGTERM. A server that
// is down or slow only costs failed posts (logged once, retried each
// interval).
#pragma once

#include "simulator/sim_physics.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>

namespace solgrid::simulator {

struct simulator_options {
    std::string server = "http://127.0.0.1:5000";  // where readings go
    std::string host = "127.0.0.1";                // where /status and /relay listen
    std::uint16_t port = 5001;                     // 0 picks a free port
    double interval_s = 2.0;                       // wall-clock seconds between posts
    double speed = 1.0;                            // simulated seconds per wall-clock second
    std::optional<double> start_hour;              // simulated local time to start at (default: now)
    std::uint32_t seed = 0;                        // 0: a random seed
    std::chrono::milliseconds timeout{3000};       // per post
    std::string token;                             // device token for the posts ("" = none)
    bool meters = true;                            // send meter_wh (false: the seed's post, SoC-estimated)
    sim_model_options model;
    // --mqtt: readings and relays over MQTT instead of HTTP posts.
    std::string mqtt_url;            // mqtt://host:port or mqtts://host:port
    std::string mqtt_device = "sim"; // --device: the <device> topic level
    std::string site = "default";    // SITE_ID
    std::string mqtt_username;       // MQTT_USERNAME / MQTT_PASSWORD / MQTT_CA_FILE
    std::string mqtt_password;
    std::string mqtt_ca_file;
};

// {"A": 12.345, …}: the meters as the post carries them, in Wh rounded down
// to 0.001 (so a counter read twice never appears to go backwards).
boost::json::object meters_json(const std::array<double, 4>& meter_wh);

// Validates the options; returns a sentence naming the bad one, or "".
std::string check(const simulator_options& o);

// Runs until SIGINT/SIGTERM; returns the process exit code. Throws
// std::system_error if the port cannot be bound.
int run_simulator(const simulator_options& o);

}  // namespace solgrid::simulator
