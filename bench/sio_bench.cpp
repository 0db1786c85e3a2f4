// Real-time load generator: N Socket.IO clients over WebSocket (raw sockets,
// our own framing, one thread) against a running solgrid, POST
// /api/data/solar at a fixed rate or flat out, and the numbers issue 3 asks
// for: delivered/expected, POST→receive latency p50/p99/max, server CPU
// seconds per million delivered messages (from /proc/PID/stat), and server
// RSS per connection (from /proc/PID/status).
//   sio-bench --port 5000 --pid PID --clients 1000 --rate 100 --duration 10
//   sio-bench --port 5000 --pid PID --clients 10000 --idle
#include "net/ws_codec.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

struct stats {
    std::size_t connected = 0, failed = 0;
    std::uint64_t delivered = 0;
    std::vector<double> latencies_ms;
    std::vector<double> post_ms;  // POST round trips
    std::unordered_map<std::uint64_t, clock_type::time_point> sent;  // seq → POST time
};

double cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    auto close = s.rfind(')');
    std::istringstream rest(s.substr(close + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field) f.push_back(field);
    // fields after "(comm)": state is index 0; utime 11, stime 12
    return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

std::string masked_frame(std::string_view payload) {
    std::string f;
    f += static_cast<char>(0x81);
    std::size_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(0x80 | n);
    } else {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    }
    const char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(mask, 4);
    for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i & 3]);
    return f;
}

// One client: WebSocket handshake, Socket.IO connect, then count events.
asio::awaitable<void> client(tcp::endpoint server, asio::ip::address source, stats& st, bool& stop) {
    tcp::socket sock(co_await asio::this_coro::executor);
    boost::system::error_code ec;
    sock.open(tcp::v4(), ec);
    if (!source.is_unspecified()) sock.bind(tcp::endpoint(source, 0), ec);
    auto [cec] = co_await sock.async_connect(server, use_tuple);
    if (cec) {
        ++st.failed;
        co_return;
    }
    sock.set_option(tcp::no_delay(true), ec);
    std::string req = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    co_await asio::async_write(sock, asio::buffer(req), use_tuple);
    std::string buf;
    buf.reserve(4096);
    // HTTP 101 headers
    for (;;) {
        char tmp[1024];
        auto [rec, n] = co_await sock.async_read_some(asio::buffer(tmp), use_tuple);
        if (rec) {
            ++st.failed;
            co_return;
        }
        buf.append(tmp, n);
        if (auto end = buf.find("\r\n\r\n"); end != std::string::npos) {
            buf.erase(0, end + 4);
            break;
        }
    }
    bool joined = false;
    auto pong = masked_frame("3");
    auto connect = masked_frame("40");
    std::vector<char> tmp(16 * 1024);
    for (;;) {
        // Parse whole server frames (unmasked) in buf.
        std::size_t pos = 0;
        while (buf.size() - pos >= 2) {
            auto* p = reinterpret_cast<const unsigned char*>(buf.data() + pos);
            std::size_t len = p[1] & 0x7f, hdr = 2;
            if (len == 126) {
                if (buf.size() - pos < 4) break;
                len = std::size_t(p[2]) << 8 | p[3];
                hdr = 4;
            } else if (len == 127) {
                if (buf.size() - pos < 10) break;
                len = 0;
                for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
                hdr = 10;
            }
            if (buf.size() - pos < hdr + len) break;
            std::string_view msg(buf.data() + pos + hdr, len);
            int op = p[0] & 0x0f;
            pos += hdr + len;
            if (op == 8) co_return;
            if (msg.empty()) continue;
            if (msg[0] == '0') {
                co_await asio::async_write(sock, asio::buffer(connect), use_tuple);
            } else if (msg == "2") {
                co_await asio::async_write(sock, asio::buffer(pong), use_tuple);
            } else if (msg.rfind("40", 0) == 0 && !joined) {
                joined = true;
                ++st.connected;
            } else if (msg.rfind("42[\"new_sun_data\"", 0) == 0) {
                ++st.delivered;
                auto lux = msg.find("\"lux\":");
                if (lux != std::string_view::npos) {
                    auto seq = static_cast<std::uint64_t>(std::strtod(msg.data() + lux + 6, nullptr));
                    if (auto it = st.sent.find(seq); it != st.sent.end())
                        st.latencies_ms.push_back(
                            std::chrono::duration<double, std::milli>(clock_type::now() - it->second).count());
                }
            }
        }
        buf.erase(0, pos);
        if (stop) co_return;
        auto [rec, n] = co_await sock.async_read_some(asio::buffer(tmp), use_tuple);
        if (rec) co_return;
        buf.append(tmp.data(), n);
        if (buf.empty() && buf.capacity() > 4096) std::string().swap(buf);
    }
}

// Keep-alive HTTP poster: POSTs readings whose lux carries a sequence number.
asio::awaitable<void> poster(tcp::endpoint server, stats& st, double rate, clock_type::time_point until,
                             std::uint64_t& seq, std::uint64_t& posted, int stride, int offset, int& running) {
    // Running until its last POST's answer is read: a reading the server
    // stored (and broadcast) just before the end is counted as posted.
    struct done_guard {
        int& n;
        ~done_guard() { --n; }
    } guard{running};
    tcp::socket sock(co_await asio::this_coro::executor);
    auto [cec] = co_await sock.async_connect(server, use_tuple);
    if (cec) co_return;
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    asio::steady_timer timer(sock.get_executor());
    auto start = clock_type::now();
    std::string resp;
    std::vector<char> tmp(4096);
    for (std::uint64_t k = 0;; ++k) {
        if (rate > 0) {
            auto due = start + std::chrono::nanoseconds(static_cast<long long>((k * stride + offset) * 1e9 / rate));
            if (due >= until) break;
            timer.expires_at(due);
            co_await timer.async_wait(use_tuple);
        } else if (clock_type::now() >= until) {
            break;
        }
        auto s = ++seq;
        std::string body = "{\"soc\":50,\"solar_w\":100,\"lux\":" + std::to_string(s) + "}";
        std::string req = "POST /api/data/solar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        st.sent[s] = clock_type::now();
        auto [wec, wn] = co_await asio::async_write(sock, asio::buffer(req), use_tuple);
        if (wec) co_return;
        resp.clear();
        // Read one response (Content-Length delimited).
        for (;;) {
            auto [rec, n] = co_await sock.async_read_some(asio::buffer(tmp), use_tuple);
            if (rec) co_return;
            resp.append(tmp.data(), n);
            auto hend = resp.find("\r\n\r\n");
            if (hend == std::string::npos) continue;
            auto cl = resp.find("Content-Length: ");
            std::size_t len = cl == std::string::npos ? 0 : std::stoul(resp.substr(cl + 16));
            if (resp.size() >= hend + 4 + len) break;
        }
        if (resp.rfind("HTTP/1.1 201", 0) == 0) ++posted;
        st.post_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - st.sent[s]).count());
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"solgrid real-time load generator"};
    int port = 5000, pid = 0, clients = 100, post_conns = 4, source_ips = 1;
    double rate = 100, duration = 10, settle = 2;
    bool idle = false;
    cli.add_option("--port", port, "server port")->capture_default_str();
    cli.add_option("--pid", pid, "server PID (for CPU and RSS)")->required();
    cli.add_option("--clients", clients, "WebSocket clients")->capture_default_str();
    cli.add_option("--rate", rate, "POSTs per second (0 = flat out)")->capture_default_str();
    cli.add_option("--duration", duration, "seconds of posting")->capture_default_str();
    cli.add_option("--post-conns", post_conns, "keep-alive POST connections")->capture_default_str();
    cli.add_option("--source-ips", source_ips, "spread clients over 127.0.0.1..N (ports)")->capture_default_str();
    cli.add_option("--settle", settle, "seconds to wait after connecting")->capture_default_str();
    cli.add_flag("--idle", idle, "connect, measure RSS per connection, and stop");
    CLI11_PARSE(cli, argc, argv);

    rlimit lim{200000, 200000};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    getrlimit(RLIMIT_NOFILE, &lim);
    if (static_cast<rlim_t>(clients) + 64 > lim.rlim_cur) {
        clients = static_cast<int>(lim.rlim_cur) - 64;  // keep a few for /proc and the posters
        std::printf("open-file limit %llu: clients capped at %d\n", (unsigned long long)lim.rlim_cur, clients);
    }
    asio::io_context ioc(1);
    tcp::endpoint server(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    stats st;
    bool stop = false;
    long rss_before = rss_kb(pid);
    auto t0 = clock_type::now();
    // Connect in waves so the listen backlog never overflows.
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < clients; ++i) {
            auto src = asio::ip::make_address_v4(0x7f000001u + static_cast<unsigned>(i % source_ips));
            asio::co_spawn(ioc, client(server, source_ips > 1 ? asio::ip::address(src) : asio::ip::address(), st, stop),
                           asio::detached);
            if (i % 200 == 199) {
                t.expires_after(std::chrono::milliseconds(20));
                co_await t.async_wait(use_tuple);
            }
        }
    }, asio::detached);
    while (st.connected + st.failed < static_cast<std::size_t>(clients) &&
           clock_type::now() - t0 < std::chrono::seconds(120))
        ioc.run_for(std::chrono::milliseconds(50));
    auto settle_until = clock_type::now() + std::chrono::milliseconds(static_cast<long>(settle * 1000));
    while (clock_type::now() < settle_until) ioc.run_for(std::chrono::milliseconds(50));
    long rss_after = rss_kb(pid);
    std::printf("clients connected: %zu of %d (failed %zu) in %.1f s\n", st.connected, clients, st.failed,
                std::chrono::duration<double>(clock_type::now() - t0).count());
    std::printf("server RSS: %ld KB before, %ld KB with clients: %.2f KB per connection\n", rss_before, rss_after,
                st.connected ? double(rss_after - rss_before) / double(st.connected) : 0.0);
    if (idle) return st.connected == static_cast<std::size_t>(clients) ? 0 : 1;

    std::uint64_t seq = 0, posted = 0;
    int posters_running = post_conns;
    double cpu0 = cpu_seconds(pid);
    auto start = clock_type::now();
    auto until = start + std::chrono::milliseconds(static_cast<long>(duration * 1000));
    for (int k = 0; k < post_conns; ++k)
        asio::co_spawn(ioc, poster(server, st, rate, until, seq, posted, post_conns, k, posters_running), asio::detached);
    // Run until posting ends and deliveries drain (or 5 s more).
    auto drain_deadline = until + std::chrono::seconds(5);
    while (clock_type::now() < drain_deadline) {
        ioc.run_for(std::chrono::milliseconds(20));
        if (clock_type::now() > until && posters_running == 0 && st.delivered >= posted * st.connected) break;
    }
    double cpu1 = cpu_seconds(pid);
    double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::uint64_t expected = posted * st.connected;
    std::printf("posts: %llu stored (%.0f/s); delivered %llu of %llu expected (%.3f%%)\n",
                (unsigned long long)posted, posted / std::min(secs, duration), (unsigned long long)st.delivered,
                (unsigned long long)expected, expected ? 100.0 * double(st.delivered) / double(expected) : 0.0);
    auto& l = st.latencies_ms;
    std::sort(l.begin(), l.end());
    auto pct = [&](double q) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(q * l.size()))]; };
    std::printf("POST->receive latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pct(0.5), pct(0.99),
                l.empty() ? 0.0 : l.back());
    auto& pm = st.post_ms;
    std::sort(pm.begin(), pm.end());
    if (!pm.empty())
        std::printf("POST round trip: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pm[pm.size() / 2],
                    pm[std::min(pm.size() - 1, pm.size() * 99 / 100)], pm.back());
    std::printf("server CPU: %.2f s over %.1f s = %.2f us per delivered message (%.2f s per million)\n",
                cpu1 - cpu0, secs, st.delivered ? (cpu1 - cpu0) * 1e6 / double(st.delivered) : 0.0,
                st.delivered ? (cpu1 - cpu0) * 1e6 / double(st.delivered) : 0.0);
    stop = true;
    return st.delivered == expected ? 0 : 1;
}
