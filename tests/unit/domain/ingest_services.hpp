// The services a sensor reading goes through (readings, relays, device
// health, the ingest use-case) over in-memory stores, for tests of the
// sensor POST and of the MQTT bridge, which feeds the same path.
#pragma once

#include "../device/fakes.hpp"
#include "domain/device_monitor.hpp"
#include "domain/readings_service.hpp"
#include "domain/relay_service.hpp"
#include "domain/sensor_ingest.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace solgrid::test {

struct ingest_services {
    boost::asio::io_context ioc;
    memory_reading_store readings_store;
    memory_relay_store relay_store;
    recording_notifier events;
    domain::readings_service readings{readings_store, events};
    domain::relay_service relays{relay_store, events};
    domain::device_monitor monitor{events, std::chrono::seconds(2), 3};
    domain::sensor_ingest ingest{readings, relays, &monitor};
};

}  // namespace solgrid::test
