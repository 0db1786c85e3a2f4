// TCP segments that carried data into a socket so far, from the kernel's
// TCP_INFO (Linux). For tests that check how many writes a peer made.
#pragma once

#include <cstdint>

namespace solgrid::test {

std::uint32_t data_segments_in(int fd);

}  // namespace solgrid::test
