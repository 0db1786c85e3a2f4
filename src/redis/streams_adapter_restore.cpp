// The recovery half of the Redis adapter (streams_adapter.hpp): a
// reconnecting client's session looked up in Redis, wherever it was stored,
// and what it missed read back from the stream.
#include "redis/cluster_message.hpp"
#include "redis/stream_entries.hpp"
#include "redis/streams_adapter.hpp"
#include "socketio/adapter.hpp"
#include "socketio/namespace.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::redis {
namespace asio = boost::asio;
using socketio::offset_key;

void streams_adapter::restore(socketio::namespace_& ns, std::string pid, std::optional<std::string> offset,
                              std::function<void(std::optional<socketio::cluster_restore>)> done) {
    asio::co_spawn(ex_, restore_on_strand(&ns, std::move(pid), std::move(offset), std::move(done)), asio::detached);
}

asio::awaitable<void> streams_adapter::restore_on_strand(
    socketio::namespace_* ns, std::string pid, std::optional<std::string> offset,
    std::function<void(std::optional<socketio::cluster_restore>)> done) {
    auto self = shared_from_this();
    std::optional<socketio::cluster_restore> found;
    try {
        auto op = find_session(ns, std::move(pid), std::move(offset));
        found = co_await std::move(op);
    } catch (const std::exception& e) {
        spdlog::debug("Redis adapter: recovery lookup failed: {}", e.what());
        found.reset();
    }
    if (found) {
        std::lock_guard lock(mutex_);
        ++counts_.sessions_restored;
    }
    done(std::move(found));
}

asio::awaitable<std::optional<socketio::cluster_restore>> streams_adapter::find_session(
    socketio::namespace_* ns, std::string pid, std::optional<std::string> offset) {
    if (!pub_->connected()) co_return std::nullopt;
    // GET and DEL in one transaction (GETDEL needs Redis 6.2): a session is
    // consumed by its first recovery, on whichever server.
    const std::string key = opts_.session_prefix + pid;
    auto multi = pub_->command("MULTI");
    auto get = pub_->command("GET", key);
    auto del = pub_->command("DEL", key);
    auto exec = pub_->command("EXEC");
    co_await std::move(multi);
    co_await std::move(get);
    co_await std::move(del);
    auto result = co_await std::move(exec);
    std::optional<socketio::cluster_session> session;
    if (result.is_array() && !result.elements.empty() && result.elements[0].is_string())
        session = cluster::decode_session(result.elements[0].str);
    else {
        // Not dropped cleanly: its server may have died. Live sessions of
        // every instance (a handful of hashes).
        auto members = pub_->command("SMEMBERS", live_set_);
        auto names = co_await std::move(members);
        for (const auto& n : names.elements) {
            if (!n.is_string()) continue;
            auto hget = pub_->command("HGET", n.str, pid);
            auto exists = pub_->command("EXISTS", n.str);
            auto found = co_await std::move(hget);
            auto there = co_await std::move(exists);
            if (there.integer == 0) {
                auto forget = pub_->command("SREM", live_set_, n.str);  // expired: its instance is long gone
                co_await std::move(forget);
                continue;
            }
            if (!found.is_string()) continue;
            auto take = pub_->command("HDEL", n.str, pid);
            auto taken = co_await std::move(take);
            if (taken.integer == 1) session = cluster::decode_session(found.str);  // 0: another server took it
            break;
        }
    }
    if (!session || session->pid != pid) {
        spdlog::debug("Redis adapter: no session for a reconnecting client (expired, taken, or unreadable)");
        co_return std::nullopt;
    }

    // Where it resumes: the client's offset if it is a stream id still in
    // the stream; else (before one of ours reached it, what it reports is
    // not ours) the newest offset queued to it.
    std::vector<offset_key> candidates;
    if (offset)
        if (auto k = socketio::parse_stream_id(*offset)) candidates.push_back(*k);
    if (!session->offset_sent && session->last) candidates.push_back(*session->last);
    std::optional<offset_key> from;
    for (auto k : candidates) {
        if (k.empty()) {  // the stream was empty when it connected: all of it is after
            from = k;
            break;
        }
        // The entry must still be in the stream (MAXLEN trims it).
        const auto at = socketio::to_stream_id(k);
        auto check = pub_->command("XRANGE", opts_.stream, at, at);
        auto seen = co_await std::move(check);
        if (!entries_of(seen).empty()) {
            from = k;
            break;
        }
    }
    if (!from) {
        spdlog::debug("Redis adapter: session {} found, but its offset ({}) is not in the stream", session->sid,
                      offset.value_or("none"));
        co_return std::nullopt;
    }

    socketio::cluster_restore out;
    out.from = *from;
    const auto page = std::to_string(std::min<std::size_t>(opts_.max_missed, 1000));
    auto start = next_id(*from);
    std::size_t read = 0;
    while (true) {
        auto range = pub_->command("XRANGE", opts_.stream, start, "+", "COUNT", page);
        auto reply = co_await std::move(range);
        auto entries = entries_of(reply);
        for (auto& [id, fields] : entries) {
            auto k = socketio::parse_stream_id(id);
            if (!k) continue;
            start = next_id(*k);
            auto decoded = cluster::decode_entry(fields);
            auto* m = std::get_if<cluster::message>(&decoded);
            if (!m || m->nsp != ns->name() || m->type != static_cast<int>(cluster::message_type::broadcast)) continue;
            auto in = cluster::decode_broadcast(std::move(*m));
            if (!in || !socketio::adapter::reaches(session->sid, session->rooms, in->b.rooms, in->b.except)) continue;
            out.missed.emplace_back(*k, std::move(in->b));
        }
        read += entries.size();
        if (out.missed.size() > opts_.max_missed) co_return std::nullopt;  // too much to replay: a fresh start
        if (entries.size() < std::stoul(page) || read > 100 * opts_.max_missed) break;
    }
    out.session = std::move(*session);
    co_return out;
}

}  // namespace solgrid::redis
