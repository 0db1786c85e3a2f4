// The floor for bench/realtime: the least a server can do to deliver the same
// messages to the same load generator. One thread, epoll, raw sockets with
// TCP_NODELAY, one send() per client per event of a frame built once; just
// enough of the WebSocket/Engine.IO/Socket.IO handshake that sio-bench counts
// its clients as connected, and a POST /api/data/solar that answers 201 and
// broadcasts. No storage, no JSON, no queues, no timers: whatever solgrid
// spends above this figure is its own overhead.
//   floor-server --port 5902   (prints "listening on http://127.0.0.1:PORT")
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct conn {
    std::string in;
    bool websocket = false;
    bool joined = false;
};

std::string frame(std::string_view payload) {
    std::string f;
    f += static_cast<char>(0x81);
    if (payload.size() < 126) {
        f += static_cast<char>(payload.size());
    } else {
        f += static_cast<char>(126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xff);
    }
    f += payload;
    return f;
}

void send_all(int fd, const std::string& s) { (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"raw-socket floor for bench/realtime"};
    int port = 0;
    cli.add_option("--port", port, "port on 127.0.0.1 (0 = any)");
    CLI11_PARSE(cli, argc, argv);

    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 4096) != 0) {
        std::perror("bind/listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
    std::printf("listening on http://127.0.0.1:%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);

    int ep = epoll_create1(0);
    epoll_event ev{EPOLLIN, {.fd = lfd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::unordered_map<int, conn> conns;
    std::vector<int> joined;  // the broadcast list, in join order
    const std::string open_frame =
        frame(R"(0{"sid":"floor","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
    const std::string connect_frame = frame(R"(40{"sid":"floor"})");
    std::vector<epoll_event> events(256);
    char buf[16 * 1024];
    for (;;) {
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (int c; (c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{EPOLLIN, {.fd = c}};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    conns.emplace(c, conn{});
                }
                continue;
            }
            auto& c = conns[fd];
            auto r = ::recv(fd, buf, sizeof buf, 0);
            if (r <= 0) {
                if (c.joined) std::erase(joined, fd);
                conns.erase(fd);
                ::close(fd);
                continue;
            }
            c.in.append(buf, static_cast<std::size_t>(r));
            if (c.websocket) {
                // Client frames are masked; the only one that matters is "40".
                if (!c.joined && c.in.size() >= 8) {
                    c.joined = true;
                    joined.push_back(fd);
                    send_all(fd, connect_frame);
                }
                c.in.clear();
                continue;
            }
            auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            if (c.in.rfind("GET ", 0) == 0) {
                c.websocket = true;
                c.in.clear();
                send_all(fd,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" + open_frame);
                continue;
            }
            auto cl = c.in.find("Content-Length: ");
            std::size_t len = cl == std::string::npos ? 0 : std::stoul(c.in.substr(cl + 16));
            if (c.in.size() < end + 4 + len) continue;
            std::string body = c.in.substr(end + 4, len);
            c.in.erase(0, end + 4 + len);
            send_all(fd, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
            // The event the real server sends, with the posted lux (sio-bench's sequence number).
            auto lux = body.find("\"lux\":");
            std::string seq = lux == std::string::npos ? "0" : body.substr(lux + 6, body.find_first_of(",}", lux) - lux - 6);
            const std::string ev_frame = frame(R"(42["new_sun_data",{"soc":50,"solar_w":100,"lux":)" + seq +
                                               R"(,"timestamp":"2026-11-26T00:00:00.000000Z"}])");
            for (int j : joined) (void)::send(j, ev_frame.data(), ev_frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
    }
}
