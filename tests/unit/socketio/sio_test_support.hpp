// The fixtures of the Socket.IO server tests: an in-memory client (an
// Engine.IO session driven by long-polling from the test) and the SioServer
// fixture with its recording handlers. Test-only; single-threaded (ioc).
#pragma once

#include "../engineio/eio_test_support.hpp"

#include "socketio/server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <set>
#include <thread>

namespace solgrid::test {

namespace json = boost::json;


// One client: an Engine.IO session whose handler is the Socket.IO server.
class client {
public:
    client(asio::io_context& ioc, socketio::server& sio) : ioc_(ioc), rig_(ioc, no_heartbeat_soon(), sio) {
        run_ready(ioc_);  // the rig hands the session to `sio`, its handler
    }

    // Engine.IO message packets from the client, in one POST.
    std::string send(const std::string& payload) { return rig_.post(payload); }

    // The held GET's whole body (not split into records).
    std::string held_body() {
        EXPECT_TRUE(pending_);
        if (!pending_) return {};
        EXPECT_TRUE(run_until(ioc_, [&] { return pending_->done; }));
        auto body = pending_->body.value_or("<400>");
        pending_.reset();
        return body;
    }

    // Starts a GET now, to be held until the server has something.
    void hold() {
        pending_ = rig_.start_poll();
        run_ready(ioc_);
    }

    // The next Engine.IO record from the server (a GET if none is buffered).
    std::string next() {
        if (inbox_.empty()) {
            std::optional<std::string> body;
            if (pending_) {
                EXPECT_TRUE(run_until(ioc_, [&] { return pending_->done; }));
                body = pending_->body;
                pending_.reset();
            } else {
                body = rig_.poll();
            }
            if (!body) return "<400>";
            std::size_t start = 0;
            for (;;) {
                auto end = body->find('\x1e', start);
                inbox_.push_back(body->substr(start, end == std::string::npos ? std::string::npos : end - start));
                if (end == std::string::npos) break;
                start = end + 1;
            }
        }
        auto r = inbox_.front();
        inbox_.pop_front();
        return r;
    }

    // Connects to `nsp` ("/" by default); returns the socket id.
    std::string connect(const std::string& nsp = "/", const std::string& auth = "") {
        send("40" + (nsp == "/" ? std::string() : nsp + ",") + auth);
        auto answer = next();
        auto prefix = "40" + (nsp == "/" ? std::string() : nsp + ",");
        EXPECT_EQ(answer.substr(0, prefix.size()), prefix) << answer;
        if (answer.substr(0, prefix.size()) != prefix) return {};
        auto body = json::parse(answer.substr(prefix.size())).as_object();
        last_connect = body;
        return std::string(body.at("sid").as_string());
    }

    bool closed() const { return rig_.session->closed(); }
    void drop(engineio::close_reason r = engineio::close_reason::transport_close) {
        rig_.session->close(r);
        run_ready(ioc_);
    }
    bool wait_closed() { return run_until(ioc_, [&] { return rig_.session->closed(); }); }
    // A GET started by hold() is still held: nothing was sent since.
    bool pending_open() const { return pending_ && !pending_->done; }

    json::object last_connect;

private:
    asio::io_context& ioc_;
    session_rig rig_;
    poll_handle pending_;
    std::deque<std::string> inbox_;
};

class SioServer : public ::testing::Test {
protected:
    void make(socketio::server_options opts = {}) {
        sio = std::make_unique<socketio::server>(opts);
        auto& root = sio->of("/");
        root.on_connection([this](const socketio::socket_ptr& s) {
            sockets.push_back(s);
            s->on("echo", [](const socketio::socket_ptr&, socketio::payload&& args, socketio::ack_sender ack) {
                if (ack) ack(std::move(args));
            });
            s->on("record", [this](const socketio::socket_ptr&, socketio::payload&& args, socketio::ack_sender ack) {
                received.push_back(std::move(args));
                had_ack.push_back(static_cast<bool>(ack));
            });
            s->on_disconnect([this](const socketio::socket_ptr&, std::string_view reason) {
                disconnects.emplace_back(reason);
            });
        });
    }

    socketio::namespace_& root() { return sio->of("/"); }

    socketio::payload args(std::initializer_list<json::value> a) {
        socketio::payload p;
        for (auto& v : a) p.args.push_back(v);
        return p;
    }

    asio::io_context ioc;
    std::unique_ptr<socketio::server> sio;
    std::vector<socketio::socket_ptr> sockets;
    std::vector<socketio::payload> received;
    std::vector<bool> had_ack;
    std::vector<std::string> disconnects;
};


inline socketio::server_options with_recovery(std::chrono::milliseconds window = std::chrono::minutes(2)) {
    socketio::server_options o;
    o.recovery.window = window;
    return o;
}

}  // namespace solgrid::test
