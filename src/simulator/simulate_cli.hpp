// The `solgrid simulate` subcommand's command line (CLI11), kept beside the
// simulator so main.cpp only registers and dispatches it. Header-only: only
// the solgrid binary, which links CLI11, includes it. Main thread only.
#pragma once

#include "config/config.hpp"
#include "simulator/simulator.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace solgrid::simulator {

struct simulate_command {
    CLI::App* app = nullptr;
    simulator_options opts;
    double start_hour = -1;
    std::vector<double> loads;
    CLI::Option* capacity = nullptr;
    bool no_meters = false;
};

inline void add_simulate_command(CLI::App& cli, simulate_command& cmd) {
    auto* s = cli.add_subcommand("simulate",
                                 "run a virtual Arduino: posts readings to --server every --interval seconds, "
                                 "serves GET /status and POST /relay on --port");
    auto& o = cmd.opts;
    s->add_option("--server", o.server, "solgrid to post readings to")->capture_default_str();
    s->add_option("--host", o.host, "address the device API listens on")->capture_default_str();
    s->add_option("--port", o.port, "port of the device API (0 picks a free one)")->capture_default_str();
    s->add_option("--interval", o.interval_s, "seconds between readings")->capture_default_str();
    s->add_option("--speed", o.speed, "simulated seconds per real second (60: an hour a minute)")
        ->capture_default_str();
    s->add_option("--start-hour", cmd.start_hour, "simulated local time to start at, 0-24 (default: now)");
    s->add_option("--seed", o.seed, "random seed for clouds and noise (0: random)")->capture_default_str();
    cmd.capacity = s->add_option("--capacity-wh", o.model.capacity_wh, "battery capacity (default BATTERY_CAPACITY_WH)");
    s->add_option("--soc", o.model.initial_soc, "state of charge at start, percent")->capture_default_str();
    s->add_option("--panel-w", o.model.panel_w, "solar output under a clear noon sun, W")->capture_default_str();
    s->add_option("--loads", cmd.loads, "loads of households A,B,C,D in W while their relay is on")
        ->delimiter(',')
        ->expected(4);
    s->add_option("--cloudiness", o.model.cloudiness, "mean cloud cover, 0 (clear) to 1 (overcast)")
        ->capture_default_str();
    s->add_option("--token", o.token,
                  "device token sent as Authorization: Bearer on each post (`solgrid device add NAME` prints one)")
        ->envname("SIM_TOKEN");
    s->add_flag("--no-meters", cmd.no_meters,
                "post the seed Arduino's reading without meter_wh (consumption is then estimated from SoC)")
        ->envname("SIM_NO_METERS");
    s->add_option("--mqtt", o.mqtt_url,
                   "speak MQTT to this broker (mqtt://host:port or mqtts://host:port) instead of posting to --server; "
                   "MQTT_USERNAME / MQTT_PASSWORD / MQTT_CA_FILE / SITE_ID apply");
    s->add_option("--device", o.mqtt_device, "the device name in the MQTT topics (solgrid/<site>/<device>/…)")
        ->capture_default_str();
    cmd.app = s;
}

inline int run_simulate_command(simulate_command& cmd, const config::config& cfg) {
    auto& o = cmd.opts;
    if (cmd.start_hour >= 0) o.start_hour = cmd.start_hour;
    o.meters = !cmd.no_meters;
    o.site = cfg.site_id;
    o.mqtt_username = cfg.mqtt_username;
    o.mqtt_password = cfg.mqtt_password;
    o.mqtt_ca_file = cfg.mqtt_ca_file;
    if (cmd.capacity && cmd.capacity->count() == 0) o.model.capacity_wh = cfg.battery_capacity_wh;
    if (cmd.loads.size() == 4)
        for (std::size_t i = 0; i < 4; ++i) o.model.loads_w[i] = cmd.loads[i];
    if (auto why = check(o); !why.empty()) {
        std::cerr << "solgrid simulate: " << why << "\n";
        return 2;
    }
    return run_simulator(o);
}

}  // namespace solgrid::simulator
