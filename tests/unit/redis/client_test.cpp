// redis::connection and redis::client against a real redis-server (see
// redis_test_support.hpp: no server → the test fails). Coroutine bodies are
// free functions, not lambdas, and keep their strings in named variables
// (GCC 12 rules, README).
#include "../run_awaitable.hpp"
#include "redis/client.hpp"
#include "redis_test_support.hpp"

#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <map>
#include <sstream>

namespace solgrid::redis {
namespace {

namespace asio = boost::asio;
using namespace test_support;
using namespace std::chrono_literals;
using solgrid::test::run;

#define REDIS_OR_FAIL(var)                       \
    std::string why_##var;                       \
    auto var##_opt = shared_server(why_##var);   \
    if (!var##_opt) FAIL() << why_##var;         \
    const endpoint var = *var##_opt

std::shared_ptr<connection> make(asio::io_context& ioc, endpoint where) {
    connection_options o;
    o.where = std::move(where);
    return connection::create(ioc.get_executor(), o);
}

asio::awaitable<void> ping_case(std::shared_ptr<connection> c) {
    co_await c->connect();
    value v = co_await c->command("PING");
    EXPECT_EQ(v.type, kind::simple_string);
    EXPECT_EQ(v.str, "PONG");
    const std::string text = "hello";
    v = co_await c->command("ECHO", text);
    EXPECT_EQ(v.type, kind::bulk_string);
    EXPECT_EQ(v.str, "hello");
    c->close();
}

TEST(RedisClient, Ping) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    run(ioc, ping_case(make(ioc, server)));
}

asio::awaitable<void> binary_case(std::shared_ptr<connection> c) {
    co_await c->connect();
    const std::string key = unique_key("binary");
    std::string bytes("a\0b\r\n\xff\x80*1\r\n$-1\r\n", 16);
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 256);
    const std::array<const std::string*, 2> payloads{&bytes, &big};
    for (const std::string* payload : payloads) {
        value ok = co_await c->command("SET", key, *payload);
        EXPECT_EQ(ok.str, "OK");
        value got = co_await c->command("GET", key);
        EXPECT_EQ(got.type, kind::bulk_string);
        EXPECT_TRUE(got.str == *payload) << "a " << payload->size() << "-byte value came back different";
    }
    co_await c->command("DEL", key);
    value none = co_await c->command("GET", key);
    EXPECT_TRUE(none.is_null());
    c->close();
}

TEST(RedisClient, SetGetBinaryValues) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    run(ioc, binary_case(make(ioc, server)));
}

asio::awaitable<void> pipeline_case(std::shared_ptr<connection> c) {
    co_await c->connect();
    const std::string key = unique_key("pipeline");
    co_await c->command("DEL", key);
    // All 2,000 commands are written before the first reply is awaited.
    std::vector<asio::awaitable<value>> replies;
    std::vector<std::string> words;
    for (int i = 0; i < 1000; ++i) words.push_back("word-" + std::to_string(i));
    for (int i = 0; i < 1000; ++i) {
        replies.push_back(c->command("INCR", key));
        replies.push_back(c->command("ECHO", words[i]));
    }
    for (int i = 0; i < 1000; ++i) {
        value n = co_await std::move(replies[2 * i]);
        value w = co_await std::move(replies[2 * i + 1]);
        EXPECT_EQ(n.integer, i + 1);
        EXPECT_EQ(w.str, words[i]);
    }
    co_await c->command("DEL", key);
    c->close();
}

TEST(RedisClient, PipelinesAThousandCommandsInOrder) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    run(ioc, pipeline_case(make(ioc, server)));
}

// [id, [field, value, ...]] of one stream entry, as a map.
std::map<std::string, std::string> fields_of(const value& entry) {
    std::map<std::string, std::string> out;
    if (entry.elements.size() != 2) return out;
    const auto& f = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) out[f[i].str] = f[i + 1].str;
    return out;
}

asio::awaitable<void> stream_case(std::shared_ptr<connection> writer, std::shared_ptr<connection> reader) {
    co_await writer->connect();
    co_await reader->connect();
    const std::string stream = unique_key("stream");
    co_await writer->command("DEL", stream);
    const std::string payload = "{\"packet\":{\"type\":2,\"data\":[\"new_sun_data\",1]}}";
    value id1 = co_await writer->command("XADD", stream, "MAXLEN", "~", "1000", "*", "uid", "0123456789abcdef", "nsp",
                                         "/", "type", "3", "data", payload);
    EXPECT_EQ(id1.type, kind::bulk_string);
    value range = co_await writer->command("XRANGE", stream, "-", "+");
    EXPECT_EQ(range.elements.size(), 1u);
    if (range.elements.size() == 1) {
        EXPECT_EQ(range.elements[0].elements[0].str, id1.str);
        auto f = fields_of(range.elements[0]);
        EXPECT_EQ(f["uid"], "0123456789abcdef");
        EXPECT_EQ(f["nsp"], "/");
        EXPECT_EQ(f["type"], "3");
        EXPECT_EQ(f["data"], payload);
    }
    // The reader blocks after id1 (on a connection of its own, as the adapter
    // will); the entry added next ends the block.
    auto blocked = reader->command("XREAD", "BLOCK", "0", "COUNT", "100", "STREAMS", stream, id1.str);
    const std::string binary("\x00\x01\xfe\xff", 4);
    value id2 = co_await writer->command("XADD", stream, "*", "uid", "other", "nsp", "/", "type", "3", "data", binary);
    value got = co_await std::move(blocked);
    // [[stream, [[id, [fields...]]]]]
    EXPECT_EQ(got.elements.size(), 1u);
    if (got.elements.size() == 1 && got.elements[0].elements.size() == 2) {
        EXPECT_EQ(got.elements[0].elements[0].str, stream);
        const auto& entries = got.elements[0].elements[1].elements;
        EXPECT_EQ(entries.size(), 1u);
        if (entries.size() == 1) {
            EXPECT_EQ(entries[0].elements[0].str, id2.str);
            EXPECT_EQ(fields_of(entries[0])["data"], binary);
        }
    }
    // Nothing newer: a short BLOCK ends with a null reply.
    value none = co_await reader->command("XREAD", "BLOCK", "10", "STREAMS", stream, id2.str);
    EXPECT_TRUE(none.is_null());
    co_await writer->command("DEL", stream);
    writer->close();
    reader->close();
}

TEST(RedisClient, StreamAddRangeAndBlockingRead) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    run(ioc, stream_case(make(ioc, server), make(ioc, server)));
}

asio::awaitable<void> wrongtype_case(std::shared_ptr<connection> c) {
    co_await c->connect();
    const std::string key = unique_key("wrongtype");
    co_await c->command("SET", key, "x");
    std::string code;
    try {
        co_await c->command("LPUSH", key, "y");
    } catch (const server_error& e) {
        code = e.code();
        EXPECT_NE(std::string(e.what()).find("wrong kind of value"), std::string::npos) << e.what();
    }
    EXPECT_EQ(code, "WRONGTYPE");
    EXPECT_TRUE(c->connected());
    value v = co_await c->command("GET", key);  // the connection carries on
    EXPECT_EQ(v.str, "x");
    co_await c->command("DEL", key);
    c->close();
}

TEST(RedisClient, AnErrorReplyIsAServerErrorAndTheConnectionCarriesOn) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    run(ioc, wrongtype_case(make(ioc, server)));
}

asio::awaitable<std::string> connect_error(connection& c) {
    std::string what;
    try {
        co_await c.connect();
    } catch (const connection_error& e) {
        what = e.what();
    }
    if (what.empty()) c.close();
    co_return what;
}

asio::awaitable<void> auth_case(asio::io_context& ioc, endpoint good) {
    // The password, percent-encoded in a URL, logs in; SELECT picks the db.
    auto url = "redis://:" + std::string("p%40ss%3Aword") + "@127.0.0.1:" + std::to_string(good.port) + "/3";
    endpoint e = parse_url(url);
    EXPECT_EQ(e.password, good.password);
    auto c = make(ioc, e);
    co_await c->connect();
    const std::string key = unique_key("auth");
    co_await c->command("SET", key, "in db 3");
    value db3 = co_await c->command("GET", key);
    EXPECT_EQ(db3.str, "in db 3");
    // An ACL user logs in with user:password@.
    co_await c->command("ACL", "SETUSER", "alice", "on", ">alice-pw", "~*", "+@all");
    c->close();

    endpoint plain = good;  // db 0 does not see db 3's key
    auto c0 = make(ioc, plain);
    co_await c0->connect();
    value db0 = co_await c0->command("GET", key);
    EXPECT_TRUE(db0.is_null());
    c0->close();

    endpoint alice = parse_url("redis://alice:alice-pw@127.0.0.1:" + std::to_string(good.port) + "/3");
    auto ca = make(ioc, alice);
    co_await ca->connect();
    value who = co_await ca->command("ACL", "WHOAMI");
    EXPECT_EQ(who.str, "alice");
    value same = co_await ca->command("GET", key);
    EXPECT_EQ(same.str, "in db 3");
    ca->close();

    endpoint wrong = good;
    wrong.password = "wrong";
    auto cw = make(ioc, wrong);
    std::string refused = co_await connect_error(*cw);
    EXPECT_NE(refused.find("WRONGPASS"), std::string::npos) << refused;

    endpoint none = good;  // no AUTH: commands are refused with NOAUTH
    none.password.clear();
    auto cn = make(ioc, none);
    co_await cn->connect();
    std::string code;
    try {
        co_await cn->command("PING");
    } catch (const server_error& err) {
        code = err.code();
    }
    EXPECT_EQ(code, "NOAUTH");
    cn->close();
}

TEST(RedisClient, AuthWithPasswordOrAclUserAndSelectFromTheUrl) {
    REDIS_OR_FAIL(server);
    redis_process secured("p@ss:word");
    secured.start();
    asio::io_context ioc;
    run(ioc, auth_case(ioc, secured.where()));
}

// A peer that accepts and then says nothing: the login never completes.
asio::awaitable<void> silent_peer(asio::ip::tcp::acceptor& acceptor, asio::ip::tcp::socket& held) {
    auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!ec) held = std::move(s);
}

asio::awaitable<void> timeout_case(std::shared_ptr<connection> c, std::shared_ptr<connection> refused) {
    std::string late = co_await connect_error(*c);
    EXPECT_NE(late.find("no connection within 300 ms"), std::string::npos) << late;
    std::string nobody = co_await connect_error(*refused);
    EXPECT_NE(nobody.find("cannot connect"), std::string::npos) << nobody;
    // Commands on a connection that never came up fail the same typed way.
    std::string after;
    try {
        co_await c->command("PING");
    } catch (const connection_error& e) {
        after = e.what();
    }
    EXPECT_FALSE(after.empty());
}

TEST(RedisClient, ConnectTimesOutAndRefusalIsAConnectionError) {
    REDIS_OR_FAIL(server);
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket held(ioc);
    asio::co_spawn(ioc, silent_peer(acceptor, held), asio::detached);
    connection_options o;
    o.where.host = "127.0.0.1";
    o.where.port = acceptor.local_endpoint().port();
    o.where.password = "never-answered";
    o.connect_timeout = 300ms;
    auto c = connection::create(ioc.get_executor(), o);
    endpoint closed;
    closed.host = "127.0.0.1";
    closed.port = free_port();
    run(ioc, timeout_case(c, make(ioc, closed)));
}

// A fake server: reads one command, answers `reply`, closes.
asio::awaitable<void> scripted_peer(asio::ip::tcp::acceptor& acceptor, std::string reply) {
    auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::array<char, 256> buf;
    auto [rec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (rec) co_return;
    co_await asio::async_write(s, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
    // Then it hangs up: a client that waited for the rest would see the
    // connection closed, not the error each case expects.
}

asio::awaitable<std::string> first_command_error(connection& c) {
    co_await c.connect();
    std::string what;
    try {
        co_await c.command("PING");
    } catch (const connection_error& e) {
        what = e.what();
    }
    EXPECT_FALSE(c.connected());
    co_return what;
}

asio::awaitable<void> hostile_case(connection& garbage, connection& oversized) {
    std::string bad = co_await first_command_error(garbage);
    EXPECT_NE(bad.find("RESP bad type byte"), std::string::npos) << bad;
    std::string big = co_await first_command_error(oversized);
    EXPECT_NE(big.find("a reply larger than 512 bytes"), std::string::npos) << big;
}

TEST(RedisClient, BytesThatAreNotRespOrTooLargeCloseTheConnection) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor a1(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::acceptor a2(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    asio::co_spawn(ioc, scripted_peer(a1, "?garbage\r\n"), asio::detached);
    asio::co_spawn(ioc, scripted_peer(a2, "$100000\r\n" + std::string(1000, 'x')), asio::detached);
    connection_options o;
    o.where.host = "127.0.0.1";
    o.where.port = a1.local_endpoint().port();
    auto garbage = connection::create(ioc.get_executor(), o);
    o.where.port = a2.local_endpoint().port();
    o.max_reply_bytes = 512;
    auto oversized = connection::create(ioc.get_executor(), o);
    run(ioc, hostile_case(*garbage, *oversized));
}

asio::awaitable<void> killed_case(std::shared_ptr<connection> c, redis_process& server) {
    co_await c->connect();
    value pong = co_await c->command("PING");
    EXPECT_EQ(pong.str, "PONG");
    const std::string stream = unique_key("killed");
    auto blocked = c->command("XREAD", "BLOCK", "0", "STREAMS", stream, "$");
    auto queued = c->command("PING");
    co_await sleep_for(50ms);  // let XREAD reach the server (the outcome does not depend on it)
    server.kill();
    int failures = 0;
    const std::array<asio::awaitable<value>*, 2> waiting{&blocked, &queued};
    for (auto* a : waiting) {
        try {
            co_await std::move(*a);
        } catch (const connection_error& e) {
            ++failures;
            EXPECT_NE(std::string(e.what()).find("Redis 127.0.0.1:"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(failures, 2);
    EXPECT_FALSE(c->connected());
    bool later = false;
    try {
        co_await c->command("PING");
    } catch (const connection_error&) {
        later = true;
    }
    EXPECT_TRUE(later);
}

TEST(RedisClient, ServerKilledMidStreamFailsEveryPendingCommandWithAConnectionError) {
    REDIS_OR_FAIL(server);
    redis_process own;
    own.start();
    asio::io_context ioc;
    run(ioc, killed_case(make(ioc, own.where()), own));
}

// Waits (up to 30 s, then fails) until the client's connected() is `want`.
asio::awaitable<bool> until_connected(client& c, bool want) {
    for (int i = 0; i < 1500 && c.connected() != want; ++i) co_await sleep_for(20ms);
    EXPECT_EQ(c.connected(), want);
    co_return c.connected() == want;
}

asio::awaitable<void> reconnect_case(std::shared_ptr<client> c, redis_process& server) {
    c->start();
    // Down at start: it keeps trying (and says so once).
    for (int i = 0; i < 1500 && c->attempts() < 3; ++i) co_await sleep_for(20ms);
    EXPECT_GE(c->attempts(), 3u);
    std::string offline;
    try {
        co_await c->command("PING");
    } catch (const connection_error& e) {
        offline = e.what();
    }
    EXPECT_NE(offline.find("not connected"), std::string::npos) << offline;
    server.start();
    if (!co_await until_connected(*c, true)) co_return;
    value pong = co_await c->command("PING");
    EXPECT_EQ(pong.str, "PONG");
    server.kill();
    if (!co_await until_connected(*c, false)) co_return;
    const auto tried = c->attempts();
    for (int i = 0; i < 1500 && c->attempts() < tried + 2; ++i) co_await sleep_for(20ms);
    server.start();  // the same port again
    if (!co_await until_connected(*c, true)) co_return;
    pong = co_await c->command("PING");
    EXPECT_EQ(pong.str, "PONG");
    EXPECT_EQ(c->connects(), 2u);
    c->stop();
    co_await sleep_for(10ms);
}

TEST(RedisClient, ReconnectsWithBackoffAfterARestartAndLogsEachChangeOnce) {
    REDIS_OR_FAIL(server);
    redis_process own;
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    spdlog::set_default_logger(capture);
    asio::io_context ioc;
    client::options o;
    o.connection.where = own.where();
    o.connection.connect_timeout = 2s;
    auto c = client::create(ioc.get_executor(), o);
    run(ioc, reconnect_case(c, own));
    spdlog::set_default_logger(previous);
    auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (auto at = log.str().find(what); at != std::string::npos; at = log.str().find(what, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("cannot connect to"), 1u) << log.str();
    EXPECT_EQ(count("connected to 127.0.0.1:" + std::to_string(own.port())), 2u) << log.str();
    EXPECT_EQ(count("connection lost to"), 1u) << log.str();
    EXPECT_NE(log.str().find("retrying with backoff up to 5 s"), std::string::npos) << log.str();
}

TEST(RedisUrl, ParsesEveryPartAndRefusesTheRest) {
    endpoint e = parse_url("redis://localhost");
    EXPECT_EQ(e.host, "localhost");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.db, 0);
    EXPECT_TRUE(e.password.empty());
    e = parse_url("redis://u:p%2Fw@[::1]:7000/15");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 7000);
    EXPECT_EQ(e.user, "u");
    EXPECT_EQ(e.password, "p/w");
    EXPECT_EQ(e.db, 15);
    EXPECT_EQ(e.address(), "[::1]:7000");
    EXPECT_EQ(parse_url("redis://:pw@h:1/").password, "pw");
    for (const char* bad : {"http://h", "rediss://h", "redis://", "redis://h:0", "redis://h:65536", "redis://h:x",
                            "redis://h:", "redis://h/-1", "redis://h/x", "redis://h/1/2", "redis://h?db=1",
                            "redis://pw@h", "redis://u:@h", "redis://[::1", "redis://:p%zz@h"})
        EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
    EXPECT_EQ(redact_url("redis://u:secret@h:1/2"), "redis://u:***@h:1/2");
    EXPECT_EQ(redact_url("redis://:secret@h"), "redis://:***@h");
    EXPECT_EQ(redact_url("redis://h:1"), "redis://h:1");
}

}  // namespace
}  // namespace solgrid::redis
