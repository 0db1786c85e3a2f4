// Kept out of the precompiled header (see CMakeLists.txt): <linux/tcp.h>
// has the full struct tcp_info, and it clashes with <netinet/tcp.h>, which
// Asio includes.
#include "tcp_segments.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace solgrid::test {

std::uint32_t data_segments_in(int fd) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
    return info.tcpi_data_segs_in;
}

}  // namespace solgrid::test
