#include "app/fanout_notifier.hpp"

#include <spdlog/spdlog.h>

namespace solgrid::app {

void fanout_notifier::publish(const std::string& event, const boost::json::value& payload) {
    SPDLOG_DEBUG("event {}", event);
    static const std::vector<std::string> everyone;
    for (auto& s : sinks_) s(everyone, event, payload);
}

void fanout_notifier::publish_to(const std::vector<std::string>& rooms, const std::string& event,
                                 const boost::json::value& payload) {
    SPDLOG_DEBUG("event {} to {} rooms", event, rooms.size());
    for (auto& s : sinks_) s(rooms, event, payload);
}

}  // namespace solgrid::app
