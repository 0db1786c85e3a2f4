// Many small non-blocking send()s in one system call, through io_uring:
// for a broadcast, one submission carries the same frame to hundreds of
// sockets, where one send() each would enter the kernel once per client.
// One ring per thread (thread_local), made on first use; where io_uring is
// unavailable (an old kernel, a seccomp filter, io_uring_disabled) it says
// so once and callers fall back to plain send().
//
// Every send is MSG_DONTWAIT (written, cut short, or EAGAIN: never parked
// to wait for room), and run() returns only once every one has completed,
// so the caller may rely on the sockets being untouched after it.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace solgrid::net {

class batch_sender {
public:
    static constexpr std::size_t max_batch = 256;

    // The calling thread's sender, or nullptr without io_uring.
    static batch_sender* for_this_thread();
    // Why for_this_thread() gave nullptr on this thread (the error of the
    // ring's set-up, e.g. "Operation not permitted" under a seccomp filter
    // or kernel.io_uring_disabled); empty if it did not.
    static std::string_view why_unavailable();

    // Sends `bytes` to each of `fds` (at most max_batch); results[i] is
    // what send() would have returned for fds[i]: bytes written or -errno.
    void run(std::span<const int> fds, std::string_view bytes, std::span<ssize_t> results);

    batch_sender(const batch_sender&) = delete;
    batch_sender& operator=(const batch_sender&) = delete;
    ~batch_sender();

private:
    batch_sender() = default;
    struct ring;
    ring* ring_ = nullptr;
    bool broken_ = false;
};

}  // namespace solgrid::net
