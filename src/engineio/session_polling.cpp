// The long-polling transport of a session: held GETs, POSTed payloads, and
// the linger after a close that still owes a GET its answer. Strand only.
#include "engineio/session.hpp"

#include "engineio/websocket_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace solgrid::engineio {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

std::string_view polling_transport::packet_of(release r) {
    static constexpr char close[] = {static_cast<char>(packet_type::close), 0};
    static constexpr char noop[] = {static_cast<char>(packet_type::noop), 0};
    return r == release::close ? close : noop;
}

std::string polling_transport::encode(std::span<const outgoing_ptr> packets) const {
    return v3_ ? encode_payload_v3(packets, b64_) : encode_payload(packets);
}

std::string polling_transport::body_of(std::string_view p) const {
    if (!v3_) return std::string(p);
    std::string body = std::to_string(p.size());
    (body += ':') += p;
    return body;
}

std::string polling_transport::answer(std::vector<outgoing_ptr>& queue, bool closed) {
    std::string answer;
    if (!queue.empty() && (!closed || answer_ == release::close)) {
        if (v3_) {
            if (closed && linger_ == linger::none) queue.push_back(make_packet(packet_type::close));
            answer = encode(queue);
        } else {
            answer = encode_payload(queue);
            if (closed && linger_ == linger::none) (answer += '\x1e') += packet_of(release::close);
        }
        queue.clear();
    } else {
        answer = body_of(packet_of(answer_ == release::none ? release::noop : answer_));
    }
    answer_ = release::none;
    return answer;
}

asio::awaitable<boost::system::result<std::string>> session::poll() {
    if (polling_.lingering() != polling_transport::linger::none) {
        if (!queue_.empty()) {
            auto last = polling_.encode(queue_);
            queue_.clear();
            co_return last;  // the close packet follows on the next GET
        }
        auto owed = polling_.end_linger();
        heartbeat_.cancel();
        on_gone_(id_);
        co_return polling_.body_of(owed);
    }
    // Closed meanwhile (between the registry's lookup and this strand):
    // the sid is gone, as if never seen.
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling) co_return make_error_code(error::bad_request);  // upgraded
    if (polling_.holding()) {
        // Overlapping GETs: the protocol says close; the held one gets "1".
        polling_.set_answer(release::close);
        close(close_reason::transport_error);
        co_return make_error_code(error::bad_request);
    }
    if (upgrade_ == upgrade::probed) co_return polling_.body_of(polling_transport::packet_of(release::noop));
    if (queue_.empty()) {
        co_await polling_.hold(strand_).async_wait(use_tuple);
        polling_.unhold();
    }
    co_return polling_.answer(queue_, closed_);
}

boost::system::error_code session::post(std::string_view body, bool binary_framing) {
    if (closed_) return error::unknown_sid;
    auto packets = !eio3() ? decode_payload(body) : binary_framing ? decode_binary_payload_v3(body) : decode_payload_v3(body);
    if (!packets) {
        close(close_reason::parse_error);
        return error::bad_request;
    }
    for (auto& p : *packets) on_packet(std::move(p), false);
    return {};
}

asio::awaitable<boost::system::error_code> session::post_async(std::string body, bool binary_framing) {
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling) co_return make_error_code(error::bad_request);  // upgraded
    co_return post(body, binary_framing);
}

asio::awaitable<boost::system::error_code> session::can_upgrade() {
    if (closed_) co_return make_error_code(error::unknown_sid);
    if (transport_ != transport_kind::polling || ws_) co_return make_error_code(error::already_upgraded);
    co_return boost::system::error_code{};
}

}  // namespace solgrid::engineio
