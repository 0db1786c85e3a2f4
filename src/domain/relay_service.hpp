// The four household relays: merge partial updates, store every change, and
// announce the full state as `relay_status_update`. Updates are serialised
// (one at a time, in arrival order) so stored history and broadcasts agree.
// Any thread may call.
#pragma once

#include "domain/ports.hpp"

#include <mutex>

namespace solgrid::domain {

class relay_service {
public:
    relay_service(relay_store& store, notifier& events) : store_(store), events_(events) {}

    asio::awaitable<void> warm_up();

    // Applies `patch`, stores the result if it changed anything, broadcasts
    // the full state, and returns it. Throws storage_unavailable.
    asio::awaitable<relay_state> update(relay_patch patch, std::string source);

    relay_state current() const;

    static boost::json::object to_json(const relay_state& s);

private:
    relay_store& store_;
    notifier& events_;
    mutable std::mutex mutex_;
    relay_state state_;
    std::int64_t version_ = 0;  // bumped by every stored change
};

}  // namespace solgrid::domain
