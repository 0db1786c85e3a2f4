// Everything a session writes: packets from any thread (send(), with the
// direct path to an idle WebSocket, and send_to_each() for broadcasts, its
// writes batched through io_uring) and the strand's gathered WebSocket
// write (websocket_transport::flush). The locking that keeps frames whole and in order is
// described at session::direct_fd_.
#include "engineio/session.hpp"

#include "engineio/websocket_transport.hpp"
#include "net/batch_sender.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cerrno>
#include <climits>

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace solgrid::engineio {

std::string ws_frame_of(const outgoing& p) {
    unsigned char header[10];
    auto hn = net::ws::encode_header(header, p.binary ? net::ws::opcode::binary : net::ws::opcode::text, p.data.size());
    std::string frame;
    frame.reserve(hn + p.data.size());
    frame.append(reinterpret_cast<const char*>(header), hn);
    frame += p.data;
    return frame;
}

namespace {

// Engine.IO v3 puts the packet type (4, message) before a binary message's bytes.
constexpr unsigned char v3_binary_type = 4;

std::string ws_frame_v3_of(const outgoing& p) {
    if (!p.binary) return ws_frame_of(p);
    unsigned char header[10];
    auto hn = net::ws::encode_header(header, net::ws::opcode::binary, p.data.size() + 1);
    std::string frame;
    frame.reserve(hn + 1 + p.data.size());
    frame.append(reinterpret_cast<const char*>(header), hn);
    frame += static_cast<char>(v3_binary_type);
    frame += p.data;
    return frame;
}

}  // namespace

void session::send(const outgoing_ptr& p, bool may_write_now) {
    if (cfg_.counters) {
        cfg_.counters->add(cfg_.counters->packets_sent);
        cfg_.counters->add(cfg_.counters->bytes_sent, p->data.size());
    }
    // Framed here only if it can be written at once; otherwise the strand
    // frames it with whatever else is queued.
    std::string frame;
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_closed_) return;
        if (direct_fd_ >= 0 && may_write_now) frame = eio3() ? ws_frame_v3_of(*p) : ws_frame_of(*p);
    }
    send_framed(p, frame, may_write_now);
}

void session::send(const outgoing_ptr& p, std::string_view ws_frame, bool may_write_now) {
    // A shared broadcast frame is v4's: a v3 session frames binary itself.
    if (p->binary && eio3()) ws_frame = {};
    send_framed(p, ws_frame, may_write_now);
}

void session::send_framed(const outgoing_ptr& p, std::string_view ws_frame, bool may_write_now) {
    {
        std::lock_guard lock(inbox_mutex_);
        if (inbox_closed_) return;
        if (direct_fd_ >= 0 && may_write_now && !ws_frame.empty()) {
            // The system call itself: libc's send() is a thread-cancellation
            // point and brackets every call with two bookkeeping calls for
            // it (a percent of a broadcast's CPU); nothing here is ever cancelled.
            auto n = static_cast<ssize_t>(::syscall(SYS_sendto, direct_fd_, ws_frame.data(), ws_frame.size(),
                                                    MSG_NOSIGNAL | MSG_DONTWAIT, nullptr, 0));
            if (n == static_cast<ssize_t>(ws_frame.size())) return;
            if (!queue_after_short_write_locked(p, ws_frame, n)) return;
        } else {
            direct_fd_ = -1;  // keep order: later frames queue behind this one
            inbox_.push_back(p);
            if (drain_posted_) return;
            drain_posted_ = true;
        }
    }
    asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

bool session::queue_after_short_write_locked(const outgoing_ptr& p, std::string_view frame, ssize_t n) {
    // Cut short (or failed): the strand takes over from here, and later
    // frames queue behind this one to keep their order. A failed socket is
    // found out (and closed) by the strand's own write.
    direct_fd_ = -1;
    if (n > 0) {
        auto rest = std::make_shared<outgoing>();
        rest->framed = true;
        rest->data.assign(frame.substr(static_cast<std::size_t>(n)));
        inbox_.push_back(std::move(rest));
    } else {
        inbox_.push_back(p);
    }
    if (drain_posted_) return false;
    drain_posted_ = true;
    return true;
}

void session::send_to_each(std::span<session* const> sessions, const outgoing_ptr& p, std::string_view ws_frame,
                           bool may_write_now) {
    if (!sessions.empty() && sessions.front()->cfg_.counters) {  // one count per batch, not per recipient
        auto& c = *sessions.front()->cfg_.counters;
        c.add(c.packets_sent, sessions.size());
        c.add(c.bytes_sent, sessions.size() * p->data.size());
    }
    auto* batch = may_write_now && !ws_frame.empty() ? net::batch_sender::for_this_thread() : nullptr;
    if (!batch) {
        for (auto* s : sessions) s->send(p, ws_frame, may_write_now);
        return;
    }
    constexpr std::size_t max = net::batch_sender::max_batch;
    std::array<session*, max> held, others;
    std::array<int, max> fds;
    std::array<ssize_t, max> results;
    for (std::size_t at = 0; at < sessions.size(); at += max) {
        auto chunk = sessions.subspan(at, std::min(max, sessions.size() - at));
        std::size_t nh = 0, no = 0;
        for (auto* s : chunk) {
            // Each idle session's lock is held until its write is done, as in
            // send() (for a batch of 256 on this machine, about a
            // millisecond; a strand wanting it meanwhile waits). try_lock: a thread holding some of these locks never
            // waits for another (two broadcasters cannot deadlock); a session
            // busy elsewhere takes the ordinary path below.
            if ((!p->binary || !s->eio3()) && s->inbox_mutex_.try_lock()) {
                if (!s->inbox_closed_ && s->direct_fd_ >= 0) {
                    held[nh] = s;
                    fds[nh++] = s->direct_fd_;
                    continue;
                }
                s->inbox_mutex_.unlock();
            }
            others[no++] = s;
        }
        if (nh) batch->run({fds.data(), nh}, ws_frame, {results.data(), nh});
        for (std::size_t i = 0; i < nh; ++i) {
            auto* s = held[i];
            bool post = results[i] != static_cast<ssize_t>(ws_frame.size()) &&
                        s->queue_after_short_write_locked(p, ws_frame, results[i]);
            s->inbox_mutex_.unlock();
            if (post) asio::post(s->strand_, [self = s->shared_from_this()] { self->drain_inbox(); });
        }
        for (std::size_t i = 0; i < no; ++i) others[i]->send(p, ws_frame, may_write_now);
    }
}

void websocket_transport::flush() {
    auto& s = owner_;
    if (writing_ || stopped_ || !socket_.is_open()) return;
    bool active = carries();
    if (control_.empty() && (!active || s.queue_.empty()) && (!closing_ || close_sent_)) {
        if (active && !closing_) {
            std::lock_guard lock(s.inbox_mutex_);
            if (!s.inbox_closed_ && s.inbox_.empty()) s.direct_fd_ = socket_.native_handle();
        }
        return;
    }

    // Gather control frames, then every queued packet (header + shared
    // bytes), then a close frame if closing: one sendmsg for all of them.
    thread_local std::vector<iovec> iov;
    thread_local std::vector<std::array<unsigned char, 10>> headers;
    std::vector<std::string> control;
    control.swap(control_);
    std::vector<outgoing_ptr> batch;
    if (active) batch.swap(s.queue_);
    iov.clear();
    headers.resize(batch.size());
    std::size_t total = 0;
    auto add = [&](const void* p, std::size_t n) {
        iov.push_back({const_cast<void*>(p), n});
        total += n;
    };
    for (auto& c : control) add(c.data(), c.size());
    const bool v3 = s.eio3();
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i]->framed) {
            add(batch[i]->data.data(), batch[i]->data.size());
            continue;
        }
        const bool v3_binary = v3 && batch[i]->binary;
        auto n = net::ws::encode_header(headers[i].data(),
                                        batch[i]->binary ? net::ws::opcode::binary : net::ws::opcode::text,
                                        batch[i]->data.size() + (v3_binary ? 1 : 0));
        add(headers[i].data(), n);
        if (v3_binary) add(&v3_binary_type, 1);
        add(batch[i]->data.data(), batch[i]->data.size());
    }
    std::string close_frame;
    bool sending_close = closing_ && !close_sent_;
    if (sending_close) {
        close_frame = net::ws::encode_frame(net::ws::opcode::close, net::ws::close_payload(close_code_));
        add(close_frame.data(), close_frame.size());
        close_sent_ = true;
    }

    std::size_t sent = 0, at = 0;
    int fd = socket_.native_handle();
    bool failed = false;
    std::unique_lock write_lock(s.inbox_mutex_);  // see session::direct_fd_
    s.direct_fd_ = -1;
    while (at < iov.size()) {
        msghdr msg{};
        msg.msg_iov = iov.data() + at;
        msg.msg_iovlen = std::min<std::size_t>(iov.size() - at, IOV_MAX);
        auto n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            failed = errno != EAGAIN && errno != EWOULDBLOCK;
            break;
        }
        sent += static_cast<std::size_t>(n);
        // Advance past what went out.
        auto left = static_cast<std::size_t>(n);
        while (at < iov.size() && left >= iov[at].iov_len) left -= iov[at++].iov_len;
        if (at < iov.size() && left) {
            iov[at].iov_base = static_cast<char*>(iov[at].iov_base) + left;
            iov[at].iov_len -= left;
            break;  // the kernel's buffer is full
        }
    }
    if (!failed && sent == total && !sending_close && active && !closing_ && !s.inbox_closed_ && s.inbox_.empty())
        s.direct_fd_ = fd;  // idle again: broadcasts may write directly
    write_lock.unlock();
    if (failed) {
        stop();
        return;
    }
    if (sent == total) {
        if (sending_close) stop();
        return;
    }
    // Backpressure: keep the rest (a copy: the frames' owners go away) and
    // let an async write finish it; new frames wait in the queue meanwhile.
    for (std::size_t k = at; k < iov.size(); ++k) pending_.append(static_cast<const char*>(iov[k].iov_base), iov[k].iov_len);
    writing_ = true;
    asio::async_write(socket_, asio::buffer(pending_),
                      asio::bind_executor(s.strand_, [self = s.shared_from_this(), ws = shared_from_this(), sending_close](
                                                         boost::system::error_code ec, std::size_t) {
                          ws->writing_ = false;
                          std::string().swap(ws->pending_);
                          if (ec || sending_close) {
                              ws->stop();
                              return;
                          }
                          ws->flush();
                      }));
}

void websocket_transport::stop() {
    {
        std::lock_guard lock(owner_.inbox_mutex_);
        owner_.direct_fd_ = -1;
    }
    stopped_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    slot_.reset();  // the connection is gone: MAX_CONNECTIONS counts it no more
    if (carries()) owner_.close(close_reason::transport_error);
}

}  // namespace solgrid::engineio
