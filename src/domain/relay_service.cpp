#include "domain/relay_service.hpp"

#include <boost/json.hpp>

namespace solgrid::domain {

asio::awaitable<void> relay_service::warm_up() {
    auto stored = co_await store_.current();
    std::lock_guard lock(mutex_);
    if (stored) state_ = *stored;
}

asio::awaitable<relay_state> relay_service::update(relay_patch patch, std::string source) {
    relay_state next, before;
    std::int64_t mine = 0;
    {
        // Merge under the lock so two concurrent patches never lose each
        // other's households; the store's single FIFO writer then commits
        // the rows in this same order.
        std::lock_guard lock(mutex_);
        before = state_;
        next = patch.applied_to(state_);
        state_ = next;
        mine = ++version_;
    }
    try {
        co_await store_.append(next, clock::now(), std::move(source));
    } catch (...) {
        // Not stored: undo, unless a later update already built on it (that
        // one carries this patch and succeeds or fails on its own).
        std::lock_guard lock(mutex_);
        if (version_ == mine) state_ = before;
        throw;
    }
    events_.publish("relay_status_update", to_json(next));
    co_return next;
}

relay_state relay_service::current() const {
    std::lock_guard lock(mutex_);
    return state_;
}

boost::json::object relay_service::to_json(const relay_state& s) {
    boost::json::object o;
    for (std::size_t i = 0; i < household_names.size(); ++i) o[std::string(1, household_names[i])] = s.on[i];
    return o;
}

}  // namespace solgrid::domain
