// The domain's notifier as wired by the app: forwards every event to each
// registered sink (the Socket.IO server, a Redis bridge, ...). Sinks are
// added before the server starts; publish() may then be called from any
// thread and must not block (sinks queue and return).
#pragma once

#include "domain/ports.hpp"

#include <functional>
#include <vector>

namespace solgrid::app {

class fanout_notifier final : public domain::notifier {
public:
    // `rooms` empty: every client.
    using sink = std::function<void(const std::vector<std::string>& rooms, const std::string& event,
                                    const boost::json::value& payload)>;

    void add_sink(sink s) { sinks_.push_back(std::move(s)); }
    void publish(const std::string& event, const boost::json::value& payload) override;
    void publish_to(const std::vector<std::string>& rooms, const std::string& event,
                    const boost::json::value& payload) override;

private:
    std::vector<sink> sinks_;
};

}  // namespace solgrid::app
