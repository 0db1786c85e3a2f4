#include "domain/relay_service.hpp"

#include <boost/json.hpp>

namespace solgrid::domain {

std::string_view to_string(command_phase p) {
    switch (p) {
        case command_phase::none: return "none";
        case command_phase::sending: return "sending";
        case command_phase::retrying: return "retrying";
        case command_phase::failed: return "failed";
        case command_phase::delivered: return "delivered";
    }
    return "none";
}

relay_service::relay_service(relay_store& store, notifier& events) : store_(store), events_(events) {
    version_ = next_version_locked();
}

void relay_service::push_commands_to(command_sink sink) {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
}

asio::awaitable<void> relay_service::warm_up() {
    auto stored = co_await store_.current();
    std::lock_guard lock(mutex_);
    if (stored) desired_ = *stored;
}

std::int64_t relay_service::next_version_locked() const {
    // Wall-clock milliseconds, and never less than one more than the last:
    // versions keep growing across restarts, so a device never mistakes a
    // new command for an old one.
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
    return std::max<std::int64_t>(version_ + 1, now_ms);
}

asio::awaitable<relay_state> relay_service::update(relay_patch patch, std::string source) {
    relay_state next, before;
    std::int64_t before_version = 0, version = 0, mine = 0;
    {
        // Merge under the lock so two concurrent patches never lose each
        // other's households; the store's single FIFO writer then commits
        // the rows in this same order.
        std::lock_guard lock(mutex_);
        before = desired_;
        before_version = version_;
        next = patch.applied_to(desired_);
        desired_ = next;
        version = version_ = next_version_locked();
        mine = ++changes_;
    }
    try {
        // The call is its own statement: no temporary string inside the co_await (GCC 12).
        auto stored = store_.append(next, clock::now(), std::move(source));
        co_await std::move(stored);
    } catch (...) {
        // Not stored: undo, unless a later update already built on it (that
        // one carries this patch and succeeds or fails on its own).
        std::lock_guard lock(mutex_);
        if (changes_ == mine) {
            desired_ = before;
            version_ = before_version;
        }
        throw;
    }
    command_sink sink;
    {
        std::lock_guard lock(mutex_);
        if (sink_ && version == version_) {
            // The commander starts on it now; say so in the same broadcast.
            phase_ = command_phase::sending;
            attempts_ = 0;
            error_.clear();
        }
        publish_locked(true);
        sink = sink_;
    }
    if (sink) sink(relay_command{next, version});
    co_return next;
}

relay_state relay_service::current() const {
    std::lock_guard lock(mutex_);
    return view_locked().shown;
}

relay_command relay_service::desired() const {
    std::lock_guard lock(mutex_);
    return {desired_, version_};
}

relay_view relay_service::view() const {
    std::lock_guard lock(mutex_);
    return view_locked();
}

relay_view relay_service::view_locked() const {
    relay_view v;
    v.desired = {desired_, version_};
    v.reported = reported_;
    v.device_backed = static_cast<bool>(sink_) || reported_.has_value();
    v.shown = reported_ ? reported_->state : desired_;
    v.pending = v.device_backed && (!reported_ || reported_->state != desired_);
    v.phase = phase_;
    v.attempts = attempts_;
    v.error = error_;
    return v;
}

void relay_service::report(relay_report r) {
    std::lock_guard lock(mutex_);
    if (r.version && newest_report_version_ && *r.version < *newest_report_version_) return;
    if (r.version) newest_report_version_ = r.version;
    // A device that applied a version newer than ours (our clock went back,
    // or another server commanded it) would ignore ours: move past it.
    if (r.version && *r.version > version_) {
        version_ = *r.version + 1;
        if (sink_) {  // re-send under the new version (submit only queues)
            phase_ = command_phase::sending;
            attempts_ = 0;
            sink_(relay_command{desired_, version_});
        }
    }
    reported_ = r;
    if (r.state == desired_ && (phase_ == command_phase::failed || phase_ == command_phase::retrying)) {
        // The device has it after all (it read it from a sensor-post reply).
        phase_ = command_phase::delivered;
        error_.clear();
    }
    publish_locked(false);
}

void relay_service::command_attempt(std::int64_t version, int attempt) {
    std::lock_guard lock(mutex_);
    if (version != version_) return;
    phase_ = command_phase::sending;
    attempts_ = attempt;
    publish_locked(false);
}

void relay_service::command_failed(std::int64_t version, int attempt, std::string error, bool final) {
    std::lock_guard lock(mutex_);
    ++outcomes_.failed_attempts;
    if (final) ++outcomes_.given_up;
    if (version != version_) return;
    phase_ = final ? command_phase::failed : command_phase::retrying;
    attempts_ = attempt;
    error_ = std::move(error);
    publish_locked(false);
}

void relay_service::command_delivered(std::int64_t version, relay_report r) {
    // A device that does not echo versions still answered this command.
    if (!r.version) r.version = version;
    {
        std::lock_guard lock(mutex_);
        ++outcomes_.delivered;
        if (version == version_) {
            phase_ = command_phase::delivered;
            error_.clear();
        }
    }
    report(r);
}

relay_service::command_outcomes relay_service::outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
}

bool relay_service::needs_delivery(std::int64_t version) const {
    std::lock_guard lock(mutex_);
    return version == version_ && phase_ != command_phase::delivered;
}

boost::json::object relay_service::status_json() const {
    std::lock_guard lock(mutex_);
    return to_json(view_locked());
}

void relay_service::publish_locked(bool always) {
    boost::json::value now = to_json(view_locked());
    if (!always && now == last_published_) return;
    last_published_ = now;
    events_.publish("relay_status_update", now);
}

boost::json::object relay_service::to_json(const relay_state& s) {
    boost::json::object o;
    for (std::size_t i = 0; i < household_names.size(); ++i) o[std::string(1, household_names[i])] = s.on[i];
    return o;
}

boost::json::object relay_service::to_json(const relay_view& v) {
    boost::json::object o = to_json(v.shown);
    if (!v.device_backed) return o;  // the seed's exact payload
    o["pending"] = v.pending;
    o["desired"] = to_json(v.desired.state);
    o["version"] = v.desired.version;
    o["reported"] = v.reported ? boost::json::value(to_json(v.reported->state)) : boost::json::value(nullptr);
    o["command"] = to_string(v.phase);
    o["attempts"] = v.attempts;
    if (!v.error.empty()) o["error"] = v.error;
    return o;
}

}  // namespace solgrid::domain
