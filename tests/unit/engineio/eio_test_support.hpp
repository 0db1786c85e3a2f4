// In-memory drivers for Engine.IO sessions in unit tests: an io_context run
// until a condition holds (never a fixed sleep), a recording session_handler,
// and a long-polling "client" that calls session::poll()/post() on the
// session's strand exactly as engineio::server does for HTTP requests.
#pragma once

#include "engineio/server.hpp"
#include "engineio/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace solgrid::test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Generous: these only bound a wait for something that must happen; a
// passing test never waits for them.
inline constexpr std::chrono::milliseconds wait_limit{10000};

// Runs handlers until `done()` holds; false if it did not within `limit`.
inline bool run_until(asio::io_context& ioc, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = wait_limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (ioc.stopped()) ioc.restart();
        if (ioc.run_one_for(20ms) == 0) std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Runs every handler that is ready now, without waiting for timers.
inline void run_ready(asio::io_context& ioc) {
    if (ioc.stopped()) ioc.restart();
    ioc.poll();
    if (ioc.stopped()) ioc.restart();
}

// Records what every session it opened says; the listener of them all.
class recording_handler : public engineio::session_handler, public engineio::session_listener {
public:
    std::shared_ptr<engineio::session_listener> on_open(const engineio::session_ptr& s) override {
        ++opened;
        sessions.push_back(s);
        return std::shared_ptr<engineio::session_listener>(std::shared_ptr<void>(), this);  // not owned
    }
    void on_message(const engineio::session_ptr& s, engineio::packet&& m) override {
        messages.push_back(std::move(m));
        if (echo) s->send(messages.back().binary ? engineio::make_binary(messages.back().data)
                                                 : engineio::make_packet(engineio::packet_type::message,
                                                                         messages.back().data));
        for (int i = 1; i <= extra_replies; ++i)
            s->send(engineio::make_packet(engineio::packet_type::message, "extra " + std::to_string(i)));
    }
    void on_close(const engineio::session_ptr&, engineio::close_reason r) override { closes.push_back(r); }

    bool echo = false;
    int extra_replies = 0;  // packets sent after the echo, in answer to each message
    int opened = 0;
    std::vector<engineio::session_ptr> sessions;  // as opened
    std::vector<engineio::packet> messages;
    std::vector<engineio::close_reason> closes;
};

// The result of one poll(), filled in when it completes.
struct poll_result {
    bool done = false;
    std::optional<std::string> body;  // nullopt: the server answers with `error`
    boost::system::error_code error;
};
using poll_handle = std::shared_ptr<poll_result>;

// A session created the way engineio::server creates one, plus helpers.
class session_rig {
public:
    // `info`: the handshake it came from (protocol 3 for a v3 client).
    session_rig(asio::io_context& ioc, engineio::settings cfg, engineio::session_handler& handler,
                engineio::handshake_info info = {})
        : ioc_(ioc), cfg_(std::make_unique<engineio::settings>(cfg)) {
        session = std::make_shared<engineio::session>(asio::make_strand(ioc), "test-sid", *cfg_, handler,
                                                      std::move(info),
                                                      [this](const std::string&) { ++gone; });
        // Handed to the upper layer as engineio::server does after a handshake.
        asio::post(session->executor(), [s = session] { s->open(); });
    }

    // A long-polling GET, as engineio::server runs it (on the session's strand).
    poll_handle start_poll() {
        auto r = std::make_shared<poll_result>();
        asio::co_spawn(session->executor(), session->poll(),
                       [r](std::exception_ptr e, boost::system::result<std::string> body) {
                           if (e) std::rethrow_exception(e);
                           if (body)
                               r->body = std::move(*body);
                           else
                               r->error = body.error();
                           r->done = true;
                       });
        return r;
    }

    // A GET that must complete; its body ("" if it would be a 400).
    std::optional<std::string> poll() {
        auto r = start_poll();
        EXPECT_TRUE(run_until(ioc_, [&] { return r->done; })) << "poll() never returned";
        last_poll_error = r->error;
        return r->body;
    }

    // A POST body, on the strand; the error's message or "".
    std::string post(std::string body) {
        std::optional<std::string> out;
        asio::co_spawn(session->executor(), session->post_async(std::move(body)),
                       [&out](std::exception_ptr e, boost::system::error_code problem) {
                           if (e) std::rethrow_exception(e);
                           out = problem ? problem.message() : std::string();
                       });
        EXPECT_TRUE(run_until(ioc_, [&] { return out.has_value(); })) << "post() never returned";
        return out.value_or("no answer");
    }

    // Starts the heartbeat on the strand, as the server does after a handshake.
    void start_heartbeat() {
        asio::post(session->executor(), [s = session] { s->start_heartbeat(); });
    }

    engineio::session_ptr session;
    std::atomic<int> gone{0};
    boost::system::error_code last_poll_error;  // of the last poll() refused

private:
    asio::io_context& ioc_;
    std::unique_ptr<engineio::settings> cfg_;
};

inline engineio::settings heartbeat(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                                    std::size_t max_queued = 4096) {
    engineio::settings s;
    s.ping_interval = interval;
    s.ping_timeout = timeout;
    s.max_payload = 100000;
    s.max_queued = max_queued;
    return s;
}

inline engineio::settings short_heartbeat(std::size_t max_queued = 4096) {
    return heartbeat(300ms, 200ms, max_queued);
}

inline engineio::settings no_heartbeat_soon(std::size_t max_queued = 4096) {
    // Heartbeats far beyond any test's life: a held poll stays held.
    return heartbeat(3600s, 3600s, max_queued);
}

}  // namespace solgrid::test
