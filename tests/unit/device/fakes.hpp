// Test doubles for the device-side unit tests: an in-memory relay store, a
// notifier that records events (and run(), from run_awaitable.hpp).
#pragma once

#include "../run_awaitable.hpp"
#include "domain/ports.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <mutex>
#include <vector>

namespace solgrid::test {

namespace asio = boost::asio;

// Readings in a vector; `fail` makes append() throw storage_unavailable.
class memory_reading_store final : public domain::reading_store {
public:
    asio::awaitable<domain::stored_reading> append(domain::reading r, domain::time_point at) override {
        if (fail) throw domain::storage_unavailable("disk on fire");
        rows.push_back({static_cast<std::int64_t>(rows.size() + 1), r, at});
        co_return rows.back();
    }
    asio::awaitable<std::optional<domain::stored_reading>> latest() override {
        if (rows.empty()) co_return std::nullopt;
        co_return rows.back();
    }
    std::vector<domain::stored_reading> rows;
    bool fail = false;
};

class memory_relay_store final : public domain::relay_store {
public:
    asio::awaitable<std::optional<domain::relay_state>> current() override { co_return stored; }
    asio::awaitable<std::int64_t> append(domain::relay_state s, domain::time_point, std::string source) override {
        if (fail) throw domain::storage_unavailable("disk on fire");
        stored = s;
        sources.push_back(std::move(source));
        co_return static_cast<std::int64_t>(sources.size());
    }
    std::optional<domain::relay_state> stored;
    std::vector<std::string> sources;
    bool fail = false;
};

class recording_notifier final : public domain::notifier {
public:
    void publish(const std::string& event, const boost::json::value& payload) override {
        std::lock_guard lock(mutex);
        events.emplace_back(event, payload);
    }
    void publish_to(const std::vector<std::string>& to, const std::string& event,
                    const boost::json::value& payload) override {
        std::lock_guard lock(mutex);
        events.emplace_back(event, payload);
        rooms.emplace_back(event, to);
    }
    std::vector<boost::json::value> of(const std::string& name) const {
        std::lock_guard lock(mutex);
        std::vector<boost::json::value> out;
        for (auto& [e, p] : events)
            if (e == name) out.push_back(p);
        return out;
    }
    mutable std::mutex mutex;
    std::vector<std::pair<std::string, boost::json::value>> events;
    std::vector<std::pair<std::string, std::vector<std::string>>> rooms;  // publish_to's, in order
};


}  // namespace solgrid::test
