#include "redis/streams_adapter.hpp"

#include "redis/cluster_message.hpp"
#include "redis/stream_entries.hpp"
#include "socketio/namespace.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::redis {
namespace asio = boost::asio;
using socketio::offset_key;


std::shared_ptr<streams_adapter> streams_adapter::create(asio::any_io_executor ex, streams_options opts) {
    return std::shared_ptr<streams_adapter>(new streams_adapter(std::move(ex), std::move(opts)));
}

streams_adapter::streams_adapter(asio::any_io_executor ex, streams_options opts)
    : ex_(asio::make_strand(ex)), opts_(std::move(opts)), wake_(ex_), heartbeat_timer_(ex_) {
    client::options o;
    o.connection.where = opts_.where;
    o.label = "Redis adapter (publish)";
    pub_ = client::create(ex_, o);
    o.label = "Redis adapter (read)";
    sub_ = client::create(ex_, o);
    live_set_ = opts_.session_prefix + "live";
    live_key_ = live_set_ + ":" + cluster::random_uid();
}

void streams_adapter::attach(socketio::namespace_& ns) {
    namespaces_.push_back(std::make_unique<attached>(attached{&ns, cluster::random_uid()}));
    ns.set_cluster(this);
}

streams_adapter::attached* streams_adapter::find(socketio::namespace_& ns) {
    for (auto& a : namespaces_)
        if (a->ns == &ns) return a.get();
    return nullptr;
}

streams_adapter::attached* streams_adapter::find(const std::string& nsp) {
    for (auto& a : namespaces_)
        if (a->ns->name() == nsp) return a.get();
    return nullptr;
}

void streams_adapter::start() {
    pub_->start();
    sub_->start();
    auto self = shared_from_this();
    asio::co_spawn(ex_, publish_loop(), asio::detached);
    asio::co_spawn(ex_, read_loop(), asio::detached);
    asio::co_spawn(ex_, heartbeat_loop(), asio::detached);
}

asio::awaitable<void> streams_adapter::shutdown() {
    auto self = shared_from_this();
    co_await asio::post(ex_, asio::use_awaitable);
    if (stopping_) co_return;
    // The sockets just closed queue their sessions from their own strands:
    // give them a moment, then wait for the queue to drain (bounded).
    asio::steady_timer pause(ex_);
    for (int i = 0; i < 100; ++i) {
        pause.expires_after(std::chrono::milliseconds(10));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        std::lock_guard lock(mutex_);
        if (i >= 10 && (queue_.empty() || !pub_->connected())) break;
    }
    stopping_ = true;
    wake_.cancel();
    heartbeat_timer_.cancel();
    // ADAPTER_CLOSE, so 0.2.x nodes stop counting this server at once.
    if (pub_->connected()) {
        for (auto& a : namespaces_) {
            try {
                auto args = xadd_args(*a, static_cast<int>(cluster::message_type::adapter_close), nullptr);
                auto op = pub_->command(args);
                co_await std::move(op);
            } catch (const std::exception&) {
            }
        }
    }
    if (pub_->connected()) {
        try {
            // Every client was closed and its session stored on its own:
            // nothing of this instance stays live.
            auto del = pub_->command("DEL", live_key_);
            auto rem = pub_->command("SREM", live_set_, live_key_);
            co_await std::move(del);
            co_await std::move(rem);
        } catch (const std::exception&) {
        }
    }
    pub_->stop();
    sub_->stop();
}

streams_adapter::counters streams_adapter::stats() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

std::vector<std::string> streams_adapter::xadd_args(const attached& a, int type, const std::string* data) const {
    std::vector<std::string> args{"XADD", opts_.stream, "MAXLEN", "~", std::to_string(opts_.max_len), "*", "uid",
                                  a.uid, "nsp", a.ns->name(), "type", std::to_string(type)};
    if (data) {
        args.emplace_back("data");
        args.push_back(*data);
    }
    return args;
}

bool streams_adapter::enqueue(job j) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= opts_.max_queue) return false;
        queue_.push_back(std::move(j));
    }
    if (!wake_posted_.exchange(true))
        asio::post(ex_, [self = shared_from_this()] {
            self->wake_posted_ = false;
            self->wake_.cancel();
        });
    return true;
}

bool streams_adapter::publish(socketio::namespace_& ns, socketio::cluster_broadcast b) {
    auto* a = find(ns);
    if (a && ready_ && pub_->connected() && !stopping_) {
        job j;
        j.to = a;
        j.broadcast = std::move(b);
        if (enqueue(std::move(j))) return true;
    }
    std::lock_guard lock(mutex_);
    ++counts_.publish_failures;
    return false;
}

void streams_adapter::track(socketio::namespace_& ns, socketio::cluster_session s) {
    auto* a = find(ns);
    if (!a || !pub_->connected()) return;
    const auto px = std::to_string((opts_.recovery_window + opts_.heartbeat).count());
    job set;
    set.to = a;
    set.command = {"HSET", live_key_, s.pid, cluster::encode_session(s)};
    enqueue(std::move(set));
    job expire;
    expire.to = a;
    expire.command = {"PEXPIRE", live_key_, px};
    enqueue(std::move(expire));
}

void streams_adapter::untrack(socketio::namespace_& ns, const std::string& pid) {
    auto* a = find(ns);
    if (!a || !pub_->connected()) return;
    job j;
    j.to = a;
    j.command = {"HDEL", live_key_, pid};
    enqueue(std::move(j));
}

void streams_adapter::persist(socketio::namespace_& ns, socketio::cluster_session s) {
    auto* a = find(ns);
    if (!a || !pub_->connected()) return;  // without Redis a dropped socket cannot recover elsewhere
    // As the Node adapter stores it (so a Node server can restore it too),
    // and out of the live hash.
    job set;
    set.to = a;
    set.session = true;
    set.command = {"SET", opts_.session_prefix + s.pid, cluster::encode_session(s), "PX",
                   std::to_string(opts_.recovery_window.count())};
    enqueue(std::move(set));
    untrack(ns, s.pid);
}

asio::awaitable<void> streams_adapter::publish_loop() {
    auto self = shared_from_this();
    std::vector<job> batch;
    std::vector<asio::awaitable<value>> replies;
    while (!stopping_) {
        batch.clear();
        {
            std::lock_guard lock(mutex_);
            while (!queue_.empty() && batch.size() < 512) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        if (batch.empty()) {
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        // Every command is written now, in order (pipelined); the replies
        // are awaited after, in the same order.
        replies.clear();
        for (auto& j : batch) {
            if (!j.command.empty()) {
                replies.push_back(pub_->command(j.command));
            } else if (j.broadcast) {
                auto data = cluster::encode_data(cluster::broadcast_data(*j.broadcast), j.broadcast->attachments);
                replies.push_back(pub_->command(xadd_args(*j.to, j.type, &data)));
            } else {
                replies.push_back(pub_->command(xadd_args(*j.to, j.type, nullptr)));
            }
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto& j = batch[i];
            bool ok = true;
            try {
                co_await std::move(replies[i]);
            } catch (const std::exception& e) {
                ok = false;
                spdlog::debug("Redis adapter: {} failed: {}", j.command.empty() ? "XADD" : j.command.front(), e.what());
            }
            {
                std::lock_guard lock(mutex_);
                if (j.session) {
                    if (ok) ++counts_.sessions_stored;
                } else if (j.broadcast) {
                    if (ok) ++counts_.published;
                    else ++counts_.publish_failures;
                }
            }
            // Not in the stream: this instance's clients still get it
            // (without an offset: it cannot be recovered elsewhere).
            if (!ok && j.broadcast) j.to->ns->deliver(*j.broadcast, std::nullopt);
        }
    }
}

asio::awaitable<void> streams_adapter::read_loop() {
    auto self = shared_from_this();
    asio::steady_timer pause(ex_);
    const auto block = std::to_string(opts_.block.count());
    const auto count = std::to_string(opts_.read_count);
    bool refused_logged = false;
    while (!stopping_) {
        if (!sub_->connected()) {
            pause.expires_after(std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        std::chrono::milliseconds wait{0};
        try {
            if (!ready_) {
                // Start after the newest entry: what this server publishes
                // from now on is read back, nothing older is replayed.
                auto op = sub_->command("XREVRANGE", opts_.stream, "+", "-", "COUNT", "1");
                auto newest = co_await std::move(op);
                auto e = entries_of(newest);
                last_id_ = e.empty() ? "0-0" : e.front().first;
                if (auto k = socketio::parse_stream_id(last_id_))
                    for (auto& a : namespaces_) a->ns->seen(*k);
                ready_ = true;
                spdlog::info("Redis adapter: reading stream '{}' after {}", opts_.stream, last_id_);
            }
            auto op = sub_->command("XREAD", "BLOCK", block, "COUNT", count, "STREAMS", opts_.stream, last_id_);
            auto reply = co_await std::move(op);
            refused_logged = false;
            if (!reply.is_array()) continue;  // timed out: nothing new
            for (const auto& stream : reply.elements) {
                if (!stream.is_array() || stream.elements.size() != 2) continue;
                for (auto& [id, fields] : entries_of(stream.elements[1])) {
                    apply(id, fields);
                    last_id_ = id;
                }
            }
            if (auto k = socketio::parse_stream_id(last_id_))
                for (auto& a : namespaces_) a->ns->seen(*k);
        } catch (const server_error& e) {
            if (!refused_logged) spdlog::error("Redis adapter: reading '{}' refused: {}", opts_.stream, e.what());
            refused_logged = true;
            wait = std::chrono::seconds(1);
        } catch (const std::exception&) {
            // The connection went; redis::client reconnects and logs it.
            wait = std::chrono::milliseconds(50);
        }
        if (wait.count() > 0) {
            pause.expires_after(wait);
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
}

void streams_adapter::apply(const std::string& id, const cluster::fields& fields) {
    auto decoded = cluster::decode_entry(fields);
    if (auto* why = std::get_if<std::string>(&decoded)) {
        std::lock_guard lock(mutex_);
        ++counts_.malformed;
        spdlog::debug("Redis adapter: entry {} skipped: {}", id, *why);
        return;
    }
    auto& m = std::get<cluster::message>(decoded);
    auto* a = find(m.nsp);
    if (!a) return;  // a namespace this server does not have
    const bool own = m.uid == a->uid;
    using t = cluster::message_type;
    switch (static_cast<t>(m.type)) {
    case t::broadcast: {
        auto in = cluster::decode_broadcast(std::move(m));
        if (!in) {
            std::lock_guard lock(mutex_);
            ++counts_.malformed;
            return;
        }
        std::optional<offset_key> offset;
        if (!in->is_volatile) offset = socketio::parse_stream_id(id);
        a->ns->deliver(in->b, offset);
        break;
    }
    case t::sockets_join:
    case t::sockets_leave:
    case t::disconnect_sockets: {
        if (own) return;
        auto opts = cluster::decode_options(m.data.if_contains("opts"));
        if (!opts) return;
        if (m.type == static_cast<int>(t::disconnect_sockets)) {
            auto* close = m.data.if_contains("close");
            a->ns->apply_remote_disconnect(opts->rooms, opts->except, close && close->is_bool() && close->get_bool());
            break;
        }
        std::vector<std::string> rooms;
        if (auto* r = m.data.if_contains("rooms"); r && r->is_array())
            for (const auto& x : r->get_array())
                if (x.is_string()) rooms.emplace_back(x.get_string());
        if (m.type == static_cast<int>(t::sockets_join)) a->ns->apply_remote_join(opts->rooms, opts->except, rooms);
        else a->ns->apply_remote_leave(opts->rooms, opts->except, rooms);
        break;
    }
    case t::initial_heartbeat: {
        if (own) return;
        job j;
        j.to = a;
        j.type = static_cast<int>(t::heartbeat);
        enqueue(std::move(j));
        break;
    }
    default:
        return;  // heartbeats, closes and requests this server does not answer
    }
    if (!own) {
        std::lock_guard lock(mutex_);
        ++counts_.received;
    }
}

asio::awaitable<void> streams_adapter::heartbeat_loop() {
    auto self = shared_from_this();
    bool announced = false;
    while (!stopping_) {
        if (ready_ && pub_->connected()) {
            for (auto& a : namespaces_) {
                job j;
                j.to = a.get();
                j.type = static_cast<int>(announced ? cluster::message_type::heartbeat
                                                    : cluster::message_type::initial_heartbeat);
                enqueue(std::move(j));
            }
            if (!namespaces_.empty()) {
                // This instance's live sessions outlive it by the recovery window.
                job add;
                add.to = namespaces_.front().get();
                add.command = {"SADD", live_set_, live_key_};
                enqueue(std::move(add));
                job expire;
                expire.to = namespaces_.front().get();
                expire.command = {"PEXPIRE", live_key_, std::to_string((opts_.recovery_window + opts_.heartbeat).count())};
                enqueue(std::move(expire));
            }
            announced = true;
        }
        heartbeat_timer_.expires_after(announced ? opts_.heartbeat : std::chrono::milliseconds(100));
        co_await heartbeat_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace solgrid::redis
