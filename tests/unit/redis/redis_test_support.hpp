// The real Redis the client tests talk to: SOLGRID_TEST_REDIS_URL (`make test`
// starts one with scripts/redis-test-server and exports it). A test that
// finds no server FAILS: it never skips silently. Tests that must kill or
// restart a server, or need `requirepass`, start private instances of
// SOLGRID_TEST_REDIS_SERVER inside SOLGRID_TEST_REDIS_DIR (redis_process).
#pragma once

#include "redis/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace solgrid::redis::test_support {

inline const char* missing_server_message() {
    return "SOLGRID_TEST_REDIS_URL is not set: this test needs a Redis server. Run `make test`, or "
           "`eval \"$(scripts/redis-test-server start)\"` before ctest (and `scripts/redis-test-server stop "
           "\"$SOLGRID_TEST_REDIS_DIR\"` afterwards).";
}

// The shared test server, or nullopt with `why` set.
inline std::optional<endpoint> shared_server(std::string& why) {
    const char* url = std::getenv("SOLGRID_TEST_REDIS_URL");
    if (!url || !*url) {
        why = missing_server_message();
        return std::nullopt;
    }
    try {
        return parse_url(url);
    } catch (const std::exception& e) {
        why = std::string("SOLGRID_TEST_REDIS_URL: ") + e.what();
        return std::nullopt;
    }
}

inline std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

inline bool port_answers(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// A private redis-server on 127.0.0.1:port, killed with SIGKILL by kill()
// or the destructor. start() throws when it cannot run.
class redis_process {
public:
    explicit redis_process(std::string password = {}) : password_(std::move(password)), port_(free_port()) {}
    ~redis_process() { kill(); }
    redis_process(const redis_process&) = delete;
    redis_process& operator=(const redis_process&) = delete;

    std::uint16_t port() const { return port_; }
    endpoint where() const {
        endpoint e;
        e.host = "127.0.0.1";
        e.port = port_;
        e.password = password_;
        return e;
    }

    void start() {
        const char* bin = std::getenv("SOLGRID_TEST_REDIS_SERVER");
        const char* base = std::getenv("SOLGRID_TEST_REDIS_DIR");
        if (!bin || !*bin || !base || !*base)
            throw std::runtime_error(std::string("SOLGRID_TEST_REDIS_SERVER / SOLGRID_TEST_REDIS_DIR not set. ") +
                                     missing_server_message());
        dir_ = std::string(base) + "/private-" + std::to_string(port_);
        ::mkdir(dir_.c_str(), 0700);
        std::vector<std::string> args = {bin, "--bind", "127.0.0.1", "--port", std::to_string(port_), "--dir", dir_,
                                         "--save", "", "--appendonly", "no", "--logfile", dir_ + "/redis.log",
                                         "--protected-mode", "no"};
        if (!password_.empty()) {
            args.push_back("--requirepass");
            args.push_back(password_);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, bin, nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error(std::string("cannot run ") + bin);
        for (int i = 0; i < 300; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                throw std::runtime_error("redis-server exited at start-up; see " + dir_ + "/redis.log");
            }
            if (port_answers(port_)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("redis-server did not listen within 15 s on port " + std::to_string(port_));
    }

    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }

private:
    std::string password_;
    std::uint16_t port_;
    std::string dir_;
    pid_t pid_ = 0;
};

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

inline std::string unique_key(const std::string& name) {
    return "solgrid:test:" + std::to_string(::getpid()) + ":" + name;
}

}  // namespace solgrid::redis::test_support
