// The four household relays: the desired state (what operators asked for,
// merged from partial updates, stored in relay_status, versioned) and the
// reported state (what the device says it applied: its reply to a command,
// its sensor posts, a status probe).
//
// What clients see (GET /api/relay/status, `relay_status_update`): once a
// device is in play (ARDUINO_URL is set, or a device has reported its relays)
// A–D are the reported state, with `pending`, `desired`, `command`,
// `attempts` and `error` telling how delivery goes. Until then the desired
// state is the state and the payload is exactly the seed's {A,B,C,D}.
// Every change of what clients see is broadcast; update() always broadcasts.
//
// Any thread may call; state is under a mutex and events are published under
// it, so broadcasts leave in the order the state changed (the notifier only
// queues). Storage failures surface from update() as storage_unavailable.
#pragma once

#include "domain/device_gateway.hpp"
#include "domain/ports.hpp"

#include <functional>
#include <mutex>

namespace solgrid::domain {

// How delivery of the newest desired state to ARDUINO_URL goes.
enum class command_phase { none, sending, retrying, failed, delivered };
std::string_view to_string(command_phase p);

// A consistent snapshot of everything relay_service knows.
struct relay_view {
    relay_state shown;    // what clients are told the relays are
    relay_command desired;
    std::optional<relay_report> reported;
    bool device_backed = false;  // false: seed behaviour (desired is the state)
    bool pending = false;        // desired not yet confirmed by the device
    command_phase phase = command_phase::none;
    int attempts = 0;
    std::string error;  // the last failed attempt's reason, while it matters
};

class relay_service {
public:
    using command_sink = std::function<void(relay_command)>;

    relay_service(relay_store& store, notifier& events);

    // ARDUINO_URL is set: every stored change is handed to `sink` (which
    // must not block). Call once before serving.
    void push_commands_to(command_sink sink);

    asio::awaitable<void> warm_up();

    // Applies `patch` to the desired state, stores it, broadcasts, hands the
    // command to the device sink, and returns the new desired state. Throws
    // storage_unavailable (nothing changes then).
    asio::awaitable<relay_state> update(relay_patch patch, std::string source);

    // What clients see (A–D).
    relay_state current() const;
    // The newest desired state and its version (for sensor-post replies).
    relay_command desired() const;
    relay_view view() const;

    // The device says its relays are `r`. A report older than one already
    // taken (by version) is ignored: it was on its way before a newer one.
    void report(relay_report r);

    // Progress of pushing `version` to the device (from device_commander).
    // Calls about a superseded version only record the device's report.
    void command_attempt(std::int64_t version, int attempt);
    void command_failed(std::int64_t version, int attempt, std::string error, bool final);
    void command_delivered(std::int64_t version, relay_report r);
    // False once `version` is superseded or known to be on the device.
    bool needs_delivery(std::int64_t version) const;

    // Outcomes of pushing commands to the device since start (for /metrics):
    // attempts that delivered, attempts that failed, commands given up.
    struct command_outcomes {
        std::uint64_t delivered = 0, failed_attempts = 0, given_up = 0;
    };
    command_outcomes outcomes() const;

    // The GET /api/relay/status and relay_status_update payload.
    boost::json::object status_json() const;

    static boost::json::object to_json(const relay_state& s);
    static boost::json::object to_json(const relay_view& v);

private:
    relay_view view_locked() const;
    void publish_locked(bool always);
    std::int64_t next_version_locked() const;

    relay_store& store_;
    notifier& events_;
    command_sink sink_;

    mutable std::mutex mutex_;
    relay_state desired_;
    std::int64_t version_ = 0;
    std::int64_t changes_ = 0;  // bumped by every update, to undo a failed store safely
    std::optional<relay_report> reported_;
    std::optional<std::int64_t> newest_report_version_;
    command_phase phase_ = command_phase::none;
    int attempts_ = 0;
    std::string error_;
    command_outcomes outcomes_;
    boost::json::value last_published_;
};

}  // namespace solgrid::domain
