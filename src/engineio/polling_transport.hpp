// The long-polling transport of one session: the held GET (its timer, and
// the answer it is released with when it has nothing to carry), the encode
// of what it carries, and the linger after a close that still owes a GET
// its answer. The queue and the state machine stay with the session.
//
// Thread: the session's strand only. Holds no socket and cannot fail: a
// held GET is released by wake() or release(), and a GET that never comes
// ends the linger through the session's timer.
#pragma once

#include "engineio/packet.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::engineio {

class polling_transport {
public:
    // How a held GET is released when it has nothing to carry: a noop (the
    // client's own close, an upgrade) or a close packet (ours).
    enum class release : unsigned char { none, noop, close };
    // After the session closed, what the sid still owes the next GETs.
    // Closed by the client's own close packet while no GET was held: the
    // next GET (racing the POST) still gets its noop, then the sid is gone.
    // Closed by us with packets still queued (a DISCONNECT, then the close):
    // the next GET gets them, the one after it the close packet.
    enum class linger : unsigned char { none, owes_noop, owes_close };

    static std::string_view packet_of(release r);  // "6", "1"

    // Engine.IO v3 framing for every body from now on (`base64`: b64=1).
    void use_v3(bool base64) {
        v3_ = true;
        b64_ = base64;
    }
    // A body carrying `packets`, or the one packet `p` ("6", "1"), framed
    // for the session's protocol.
    std::string encode(std::span<const outgoing_ptr> packets) const;
    std::string body_of(std::string_view p) const;

    bool holding() const { return wait_ != nullptr; }
    // A held GET answers now (with what is queued, if anything).
    void wake() {
        if (wait_) wait_->cancel();
    }
    // A held GET answers now with `r` if nothing is queued. With `keep`,
    // an answer already chosen stays (the first reason wins).
    void release_with(release r, bool keep = false) {
        if (!wait_) return;
        if (!keep || answer_ == release::none) answer_ = r;
        wait_->cancel();
    }
    // Marks the held GET's answer without releasing it yet.
    void set_answer(release r) { answer_ = r; }
    // Holds a GET: the timer its coroutine waits on until wake() or
    // release_with(); unhold() after the wait.
    boost::asio::steady_timer& hold(const boost::asio::strand<boost::asio::io_context::executor_type>& strand) {
        wait_ = std::make_unique<boost::asio::steady_timer>(strand, boost::asio::steady_timer::time_point::max());
        return *wait_;
    }
    void unhold() { wait_.reset(); }
    // The held GET's answer: the queue (taken) as a payload, followed by a
    // close packet if `closed` and no linger owes it to a later GET; or the
    // release packet when the queue is empty or not ours to give.
    std::string answer(std::vector<outgoing_ptr>& queue, bool closed);

    linger lingering() const { return linger_; }
    void start_linger(linger l) { linger_ = l; }
    // Ends the linger; what it owed (noop or close packet).
    std::string_view end_linger() {
        auto owed = packet_of(linger_ == linger::owes_close ? release::close : release::noop);
        linger_ = linger::none;
        return owed;
    }

private:
    std::unique_ptr<boost::asio::steady_timer> wait_;  // set while a GET is held
    release answer_ = release::none;
    linger linger_ = linger::none;
    bool v3_ = false;
    bool b64_ = false;
};

}  // namespace solgrid::engineio
