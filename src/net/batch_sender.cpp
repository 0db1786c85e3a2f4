#include "net/batch_sender.hpp"

#include <liburing.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <sys/socket.h>

namespace solgrid::net {

struct batch_sender::ring {
    io_uring uring{};
};

namespace {

thread_local std::string unavailable_reason;

}  // namespace

std::string_view batch_sender::why_unavailable() { return unavailable_reason; }

batch_sender* batch_sender::for_this_thread() {
    struct holder {
        std::unique_ptr<batch_sender> sender;
        bool tried = false;
    };
    thread_local holder h;
    if (!h.tried) {
        h.tried = true;
        auto r = std::make_unique<ring>();
        unsigned flags = 0;
#ifdef IORING_SETUP_SUBMIT_ALL
        flags |= IORING_SETUP_SUBMIT_ALL;  // one bad entry does not stop the rest
#endif
        int rc = io_uring_queue_init(static_cast<unsigned>(max_batch), &r->uring, flags);
        if (rc < 0 && flags) rc = io_uring_queue_init(static_cast<unsigned>(max_batch), &r->uring, 0);
        if (rc < 0) {
            unavailable_reason = std::string("io_uring_queue_init: ") + std::strerror(-rc);
            static bool said = false;
            if (!said) {
                said = true;
                spdlog::info("io_uring unavailable ({}): broadcasts use one send() per client", std::strerror(-rc));
            }
            return nullptr;
        }
        h.sender.reset(new batch_sender());
        h.sender->ring_ = r.release();
    }
    if (h.sender && h.sender->broken_) return nullptr;
    return h.sender.get();
}

batch_sender::~batch_sender() {
    if (!ring_) return;
    io_uring_queue_exit(&ring_->uring);
    delete ring_;
}

void batch_sender::run(std::span<const int> fds, std::string_view bytes, std::span<ssize_t> results) {
    auto& u = ring_->uring;
    const std::size_t n = std::min(fds.size(), max_batch);
    for (std::size_t i = 0; i < n; ++i) {
        results[i] = -EIO;
        io_uring_sqe* sqe = io_uring_get_sqe(&u);
        io_uring_prep_send(sqe, fds[i], bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        io_uring_sqe_set_data64(sqe, i);
    }
    std::size_t seen = 0;
    while (seen < n) {
        int rc = io_uring_submit_and_wait(&u, static_cast<unsigned>(n - seen));
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0, count = 0;
        io_uring_for_each_cqe(&u, head, cqe) {
            auto i = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
            if (i < n) results[i] = cqe->res;
            ++count;
        }
        io_uring_cq_advance(&u, count);
        seen += count;
        if (rc < 0 && count == 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            // The ring itself failed. What it did not take is left with
            // -EIO (the caller queues those frames for the ordinary path),
            // and this thread stops using io_uring: nothing left in its
            // queue may ever be submitted later.
            spdlog::warn("io_uring submission failed ({}): this thread goes back to send()", std::strerror(-rc));
            broken_ = true;
            unavailable_reason = std::string("a submission failed: ") + std::strerror(-rc);
            break;
        }
    }
}

}  // namespace solgrid::net
