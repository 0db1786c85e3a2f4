// Real-time load generator: N Socket.IO clients over WebSocket against a
// running solgrid, POST /api/data/solar at a fixed rate or flat out, and the
// numbers issue 3 asks for: delivered/expected, POST→receive latency
// p50/p99/max, server CPU seconds per million delivered messages (from
// /proc/PID/stat), and server RSS per connection (from /proc/PID/status).
//   sio-bench --port 5000 --pid PID --clients 1000 --rate 100 --duration 10
//   sio-bench --port 5000 --pid PID --clients 10000 --idle
// Several instances (bench/cluster): --ports P1,P2,P3 spreads the clients
// round-robin over them (and the POST connections: give a multiple of the
// port count), --pid PID1,PID2,PID3 sums their CPU and RSS, and --redis-pid
// adds Redis's CPU per stored reading (event; from schedstat, in ns: Redis
// uses too little CPU for clock ticks).
//
// It must not be the bottleneck, so it is as cheap per message as we can
// make it: one thread, raw non-blocking sockets on one edge-triggered
// epoll, one recv() per readable socket into a shared buffer, frames parsed
// in place (only a partial frame is ever copied). With an asio coroutine
// per client it spent ~5 µs of its own CPU per delivered message — more
// than the server — and on two cores that time showed up as latency.
// It reports its own CPU per message too, so that stays visible.
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using clock_type = std::chrono::steady_clock;

namespace {

double own_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    auto close = s.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(s.substr(close + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field) f.push_back(field);
    if (f.size() < 13) return 0;
    // fields after "(comm)": state is index 0; utime 11, stime 12
    return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// On-CPU time of every thread of `pid` in nanoseconds (/proc/PID/task/*/schedstat):
// for a process that uses little CPU (Redis), where clock ticks (10 ms) are too coarse.
double sched_cpu_seconds(int pid) {
    double sum = 0;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        double ns = 0;
        if (in >> ns) sum += ns / 1e9;
    }
    return sum;
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

struct connection {
    enum class kind { client, poster } role;
    enum class state { connecting, upgrading, open, closed } st = state::connecting;
    int fd = -1;
    std::string partial;  // bytes of an incomplete frame/response
    std::string out;      // bytes the kernel has not taken yet
    // client
    bool joined = false;
    std::size_t server = 0;  // index into the servers it was given
    // poster
    std::uint64_t sent_seq = 0;  // the POST awaiting its answer (0: none)
    std::uint64_t k = 0;         // this poster's next POST number
    int stride = 1, offset = 0;
    bool done = false;
};

class bench {
public:
    bench(std::vector<sockaddr_in> servers, int source_ips)
        : connected_per_server(servers.size()), servers_(std::move(servers)), source_ips_(source_ips) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
    }

    // statistics
    std::size_t connected = 0, failed = 0, dropped = 0;
    std::vector<std::size_t> connected_per_server;
    std::uint64_t delivered = 0, posted = 0, seq = 0;
    std::vector<double> latencies_ms, post_ms;
    std::vector<clock_type::time_point> sent_at{1};  // seq → POST time (index 0 unused)

    void connect_clients(int n, clock_type::duration timeout) {
        auto t0 = clock_type::now();
        int started = 0;
        while (connected + failed < static_cast<std::size_t>(n) && clock_type::now() - t0 < timeout) {
            // At most 200 handshakes in flight: the listen backlog never overflows.
            while (started < n && started - static_cast<int>(connected + failed) < 200) open_client(started++);
            poll(std::chrono::milliseconds(20));
        }
    }

    void run_for(clock_type::duration d) {
        auto until = clock_type::now() + d;
        while (clock_type::now() < until) poll(std::min<clock_type::duration>(until - clock_type::now(), std::chrono::milliseconds(20)));
    }

    // Posts for `duration` (rate 0 = flat out), then waits for deliveries to drain.
    void post(int conns, double rate, clock_type::duration duration, clock_type::duration drain) {
        rate_ = rate;
        start_ = clock_type::now();
        until_ = start_ + duration;
        for (int k = 0; k < conns; ++k) {
            auto c = open(connection::kind::poster, 0, static_cast<std::size_t>(k));
            if (!c) continue;
            c->stride = conns;
            c->offset = k;
            posters_.push_back(c);
        }
        auto deadline = until_ + drain;
        for (;;) {
            auto now = clock_type::now();
            if (now >= deadline) break;
            bool posters_done = std::all_of(posters_.begin(), posters_.end(), [](auto* p) { return p->done; });
            if (now > until_ && posters_done && delivered >= posted * connected) break;
            // Sleep until the next POST is due, at most 20 ms.
            auto wake = now + std::chrono::milliseconds(20);
            for (auto* p : posters_) {
                if (p->done || p->st != connection::state::open || p->sent_seq) continue;
                auto due = due_of(*p);
                if (due <= now) {
                    send_post(*p);
                    continue;
                }
                wake = std::min(wake, due);
            }
            poll(wake - clock_type::now());
        }
    }

private:
    clock_type::time_point due_of(const connection& p) const {
        if (rate_ <= 0) return clock_type::time_point{};
        return start_ + std::chrono::nanoseconds(static_cast<long long>((double(p.k) * p.stride + p.offset) * 1e9 / rate_));
    }

    // Connects to servers_[which % servers_.size()].
    connection* open(connection::kind role, in_addr_t source, std::size_t which) {
        const auto& server = servers_[which % servers_.size()];
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) return nullptr;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (source) {
            sockaddr_in src{};
            src.sin_family = AF_INET;
            src.sin_addr.s_addr = source;
            bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
        }
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
            ::close(fd);
            return nullptr;
        }
        auto c = std::make_unique<connection>();
        c->role = role;
        c->fd = fd;
        c->server = which % servers_.size();
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = c.get();
        epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
        conns_.push_back(std::move(c));
        return conns_.back().get();
    }

    void open_client(int i) {
        in_addr_t src = source_ips_ > 1 ? htonl(0x7f000001u + static_cast<unsigned>(i % source_ips_)) : 0;
        if (!open(connection::kind::client, src, static_cast<std::size_t>(i))) ++failed;
    }

    void poll(clock_type::duration wait) {
        epoll_event events[512];
        auto ns = std::max<long long>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count());
        timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
        int n = epoll_pwait2(ep_, events, 512, &ts, nullptr);
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<connection*>(events[i].data.ptr);
            if (c->st == connection::state::closed) continue;
            if (c->st == connection::state::connecting && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    fail(*c);
                    continue;
                }
                on_connected(*c);
            }
            if (events[i].events & EPOLLOUT) flush(*c);
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable(*c);
        }
    }

    void on_connected(connection& c) {
        if (c.role == connection::kind::client) {
            c.st = connection::state::upgrading;
            write(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n");
        } else {
            c.st = connection::state::open;
        }
    }

    void fail(connection& c) {
        if (c.role == connection::kind::client && !c.joined) ++failed;
        if (c.role == connection::kind::client && c.joined) ++dropped;  // closed by the server
        if (c.role == connection::kind::poster) c.done = true;
        close(c);
    }

    void close(connection& c) {
        c.st = connection::state::closed;
        ::close(c.fd);
        std::string().swap(c.partial);
    }

    void write(connection& c, std::string_view bytes) {
        if (c.out.empty()) {
            auto n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n == static_cast<ssize_t>(bytes.size())) return;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return fail(c);
            bytes.remove_prefix(n > 0 ? static_cast<std::size_t>(n) : 0);
        }
        c.out.append(bytes);
    }

    void flush(connection& c) {
        if (c.out.empty() || c.st == connection::state::connecting) return;
        auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) fail(c);
            return;
        }
        c.out.erase(0, static_cast<std::size_t>(n));
    }

    void readable(connection& c) {
        // Edge-triggered: read until the socket is drained (a short read
        // means it was; data arriving later raises a new edge).
        for (;;) {
            ssize_t n = ::recv(c.fd, buf_, sizeof buf_, 0);
            if (n == 0) return fail(c);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) fail(c);
                return;
            }
            std::string_view data(buf_, static_cast<std::size_t>(n));
            if (!c.partial.empty()) {
                c.partial.append(data);
                std::string joined;
                joined.swap(c.partial);
                consume(c, joined);
            } else {
                consume(c, data);
            }
            if (c.st == connection::state::closed || static_cast<std::size_t>(n) < sizeof buf_) return;
        }
    }

    // Handles every whole frame (or HTTP response) in `data`; keeps the rest.
    void consume(connection& c, std::string_view data) {
        if (c.role == connection::kind::poster) return consume_response(c, data);
        if (c.st == connection::state::upgrading) {
            auto end = data.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                c.partial.assign(data);
                return;
            }
            if (data.rfind("HTTP/1.1 101", 0) != 0) return fail(c);
            c.st = connection::state::open;
            data.remove_prefix(end + 4);
        }
        while (data.size() >= 2) {
            auto* p = reinterpret_cast<const unsigned char*>(data.data());
            std::size_t len = p[1] & 0x7f, hdr = 2;
            if (len == 126) {
                if (data.size() < 4) break;
                len = std::size_t(p[2]) << 8 | p[3];
                hdr = 4;
            } else if (len == 127) {
                if (data.size() < 10) break;
                len = 0;
                for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
                hdr = 10;
            }
            if (data.size() < hdr + len) break;
            int op = p[0] & 0x0f;
            std::string_view msg = data.substr(hdr, len);
            data.remove_prefix(hdr + len);
            if (op == 8) return fail(c);
            on_message(c, msg);
            if (c.st == connection::state::closed) return;
        }
        if (!data.empty()) c.partial.assign(data);
    }

    void on_message(connection& c, std::string_view msg) {
        if (msg.empty()) return;
        if (msg.rfind("42[\"new_sun_data\"", 0) == 0) {
            ++delivered;
            auto lux = msg.find("\"lux\":");
            if (lux == std::string_view::npos) return;
            auto s = static_cast<std::uint64_t>(std::strtod(msg.data() + lux + 6, nullptr));
            if (s > 0 && s < sent_at.size())
                latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent_at[s]).count());
        } else if (msg[0] == '0') {
            write(c, connect_);
        } else if (msg == "2") {
            write(c, pong_);
        } else if (msg.rfind("40", 0) == 0 && !c.joined) {
            c.joined = true;
            ++connected;
            ++connected_per_server[c.server];
        }
    }

    void send_post(connection& p) {
        auto now = clock_type::now();
        if (now >= until_ || (rate_ > 0 && due_of(p) >= until_)) {
            p.done = true;
            return;
        }
        ++p.k;
        auto s = ++seq;
        std::string body = "{\"soc\":50,\"solar_w\":100,\"lux\":" + std::to_string(s) + "}";
        std::string req = "POST /api/data/solar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        sent_at.resize(s + 1);
        sent_at[s] = now;
        p.sent_seq = s;
        write(p, req);
    }

    void consume_response(connection& p, std::string_view data) {
        std::string_view resp = data;
        auto hend = resp.find("\r\n\r\n");
        std::size_t len = 0;
        if (hend != std::string_view::npos) {
            auto cl = resp.find("Content-Length: ");
            if (cl != std::string_view::npos && cl < hend) len = std::strtoul(resp.data() + cl + 16, nullptr, 10);
        }
        if (hend == std::string_view::npos || resp.size() < hend + 4 + len) {
            p.partial.assign(data);
            return;
        }
        if (resp.rfind("HTTP/1.1 201", 0) == 0) ++posted;
        if (p.sent_seq)
            post_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent_at[p.sent_seq]).count());
        p.sent_seq = 0;
        if (resp.size() > hend + 4 + len) p.partial.assign(resp.substr(hend + 4 + len));
        if (rate_ <= 0) send_post(p);  // flat out: the next one at once
    }

    std::vector<sockaddr_in> servers_;
    int source_ips_;
    int ep_;
    std::vector<std::unique_ptr<connection>> conns_;
    std::vector<connection*> posters_;
    double rate_ = 0;
    clock_type::time_point start_, until_;
    const std::string connect_ = masked_frame("40"), pong_ = masked_frame("3");
    char buf_[64 * 1024];
};

}  // namespace

double cpu_seconds(const std::vector<int>& pids) {
    double sum = 0;
    for (int pid : pids) sum += cpu_seconds(pid);
    return sum;
}

long rss_kb(const std::vector<int>& pids) {
    long sum = 0;
    for (int pid : pids) sum += rss_kb(pid);
    return sum;
}

int main(int argc, char** argv) {
    CLI::App cli{"solgrid real-time load generator"};
    int port = 5000, clients = 100, post_conns = 4, source_ips = 1, redis_pid = 0;
    std::vector<int> pids, ports;
    double rate = 100, duration = 10, settle = 2;
    bool idle = false;
    cli.add_option("--port", port, "server port")->capture_default_str();
    cli.add_option("--ports", ports, "several servers: clients and POST connections round-robin over them")->delimiter(',');
    cli.add_option("--pid", pids, "server PID(s) (for CPU and RSS; several: summed)")->required()->delimiter(',');
    cli.add_option("--redis-pid", redis_pid, "redis-server's PID: its CPU per stored reading");
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
    if (ports.empty()) ports.push_back(port);
    std::vector<sockaddr_in> servers;
    for (int p : ports) {
        sockaddr_in server{};
        server.sin_family = AF_INET;
        server.sin_port = htons(static_cast<std::uint16_t>(p));
        server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        servers.push_back(server);
    }
    auto b = std::make_unique<bench>(std::move(servers), source_ips);

    long rss_before = rss_kb(pids);
    auto t0 = clock_type::now();
    b->connect_clients(clients, std::chrono::seconds(120));
    b->run_for(std::chrono::milliseconds(static_cast<long>(settle * 1000)));
    long rss_after = rss_kb(pids);
    std::printf("clients connected: %zu of %d (failed %zu) in %.1f s\n", b->connected, clients, b->failed,
                std::chrono::duration<double>(clock_type::now() - t0).count());
    if (ports.size() > 1) {
        std::printf("clients per port:");
        for (std::size_t k = 0; k < ports.size(); ++k) std::printf(" %d %zu", ports[k], b->connected_per_server[k]);
        std::printf("\n");
    }
    std::printf("server RSS: %ld KB before, %ld KB with clients: %.2f KB per connection\n", rss_before, rss_after,
                b->connected ? double(rss_after - rss_before) / double(b->connected) : 0.0);
    if (idle) return b->connected == static_cast<std::size_t>(clients) ? 0 : 1;

    double cpu0 = cpu_seconds(pids), own0 = own_cpu_seconds(), redis0 = redis_pid ? sched_cpu_seconds(redis_pid) : 0;
    auto start = clock_type::now();
    b->latencies_ms.reserve(static_cast<std::size_t>(std::max(1.0, rate) * duration) * b->connected + 1024);
    b->post(post_conns, rate, std::chrono::milliseconds(static_cast<long>(duration * 1000)), std::chrono::seconds(5));
    double cpu1 = cpu_seconds(pids), own1 = own_cpu_seconds(), redis1 = redis_pid ? sched_cpu_seconds(redis_pid) : 0;
    double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::uint64_t expected = b->posted * b->connected;
    std::printf("posts: %llu stored (%.0f/s); delivered %llu of %llu expected (%.3f%%)\n",
                (unsigned long long)b->posted, double(b->posted) / std::min(secs, duration),
                (unsigned long long)b->delivered, (unsigned long long)expected,
                expected ? 100.0 * double(b->delivered) / double(expected) : 0.0);
    auto& l = b->latencies_ms;
    std::sort(l.begin(), l.end());
    auto pct = [&](double q) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(q * l.size()))]; };
    std::printf("POST->receive latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pct(0.5), pct(0.99),
                l.empty() ? 0.0 : l.back());
    auto& pm = b->post_ms;
    std::sort(pm.begin(), pm.end());
    if (!pm.empty())
        std::printf("POST round trip: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pm[pm.size() / 2],
                    pm[std::min(pm.size() - 1, pm.size() * 99 / 100)], pm.back());
    std::printf("server CPU: %.2f s over %.1f s = %.2f us per delivered message (%.2f s per million)\n", cpu1 - cpu0,
                secs, b->delivered ? (cpu1 - cpu0) * 1e6 / double(b->delivered) : 0.0,
                b->delivered ? (cpu1 - cpu0) * 1e6 / double(b->delivered) : 0.0);
    if (redis_pid)
        std::printf("redis CPU: %.4f s = %.2f us per event (%llu events)\n", redis1 - redis0,
                    b->posted ? (redis1 - redis0) * 1e6 / double(b->posted) : 0.0, (unsigned long long)b->posted);
    if (b->dropped) std::printf("clients dropped by the server: %zu\n", b->dropped);
    std::printf("load generator CPU: %.2f s = %.2f us per delivered message\n", own1 - own0,
                b->delivered ? (own1 - own0) * 1e6 / double(b->delivered) : 0.0);
    return b->delivered == expected ? 0 : 1;
}
