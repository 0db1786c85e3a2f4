#include "app/fanout_notifier.hpp"

#include <spdlog/spdlog.h>

namespace solgrid::app {

void fanout_notifier::publish(const std::string& event, const boost::json::value& payload) {
    SPDLOG_DEBUG("event {}", event);
    for (auto& s : sinks_) s(event, payload);
}

}  // namespace solgrid::app
