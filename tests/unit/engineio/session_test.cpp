// The Engine.IO session state machine over long-polling, driven in memory
// with 300/200 ms heartbeats: queue, held polls, heartbeat, client pings,
// close paths, overlapping polls, the queue bound. No timing assertions:
// each test waits (generously) for what must happen.
#include "eio_test_support.hpp"

#include <gtest/gtest.h>

using namespace solgrid;
using namespace solgrid::test;
using engineio::close_reason;
using engineio::make_packet;
using engineio::packet_type;

namespace {

class EioSession : public ::testing::Test {
protected:
    asio::io_context ioc;
    recording_handler handler;
};

}  // namespace

TEST_F(EioSession, PollReturnsWhatIsQueued) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    rig.session->send(make_packet(packet_type::message, "hello"));
    rig.session->send(engineio::make_binary(std::string("\x01\x02", 2)));
    EXPECT_EQ(rig.poll(), std::string("4hello\x1e" "bAQI="));
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioSession, AnEmptyQueueHoldsThePollUntilSomethingIsSent) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto held = rig.start_poll();
    run_ready(ioc);
    EXPECT_FALSE(held->done);
    rig.session->send(make_packet(packet_type::message, "later"));
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->body, std::string("4later"));
}

TEST_F(EioSession, SendFromAnotherThreadWakesTheHeldPoll) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto held = rig.start_poll();
    run_ready(ioc);
    std::thread other([s = rig.session] {
        for (int i = 0; i < 3; ++i) s->send(make_packet(packet_type::message, std::to_string(i)));
    });
    other.join();
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    // Whatever the first poll did not take, the next one does; order kept.
    std::string all = *held->body;
    if (all != "40\x1e" "41\x1e" "42") all += "\x1e" + rig.poll().value_or("?");
    EXPECT_EQ(all, "40\x1e" "41\x1e" "42");
}

TEST_F(EioSession, APingIsQueuedAfterTheIntervalAndAPongKeepsTheSessionAlive) {
    // A long timeout: only the pong may keep it alive, however slow this machine.
    session_rig rig(ioc, heartbeat(300ms, 10s), handler);
    rig.start_heartbeat();
    EXPECT_EQ(rig.poll(), std::string("2"));
    EXPECT_EQ(rig.post("3"), "");
    // The next ping comes one interval after the pong: the cycle restarted.
    EXPECT_EQ(rig.poll(), std::string("2"));
    EXPECT_EQ(rig.post("3"), "");
    EXPECT_EQ(rig.poll(), std::string("2"));
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioSession, AMissedPongClosesWithPingTimeoutAndTheHeldPollGetsAClosePacket) {
    session_rig rig(ioc, short_heartbeat(), handler);
    rig.start_heartbeat();
    EXPECT_EQ(rig.poll(), std::string("2"));
    // No pong: the poll held now is answered with the close packet (unless
    // this thread stalled past the timeout first: then the sid is gone).
    auto held = rig.poll();
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    if (held) {
        EXPECT_EQ(*held, "1");
    }
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
    EXPECT_EQ(engineio::to_string(handler.closes[0]), "ping timeout");
    EXPECT_EQ(rig.gone, 1);
    EXPECT_TRUE(rig.session->closed());
    // The sid is gone: a later GET or POST is refused as an unknown sid
    // (once reported as "Bad request").
    EXPECT_EQ(rig.poll(), std::nullopt);
    EXPECT_EQ(rig.last_poll_error, engineio::error::unknown_sid);
    EXPECT_EQ(rig.post("3"), "Session ID unknown");
}

TEST_F(EioSession, AMissedPongClosesEvenWithoutAHeldPoll) {
    session_rig rig(ioc, short_heartbeat(), handler);
    rig.start_heartbeat();
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
    EXPECT_EQ(rig.gone, 1);
}

TEST_F(EioSession, AnUnsolicitedPongDoesNotStopTheHeartbeat) {
    session_rig rig(ioc, short_heartbeat(), handler);
    rig.start_heartbeat();
    EXPECT_EQ(rig.post("3"), "");  // before any ping
    EXPECT_EQ(rig.poll(), std::string("2"));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::ping_timeout);
}

TEST_F(EioSession, AClientPingIsAnsweredWithAPongNotAClose) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    EXPECT_EQ(rig.post("2"), "");
    EXPECT_EQ(rig.poll(), std::string("3"));
    EXPECT_EQ(rig.post("2probe"), "");
    EXPECT_EQ(rig.poll(), std::string("3probe"));
    EXPECT_TRUE(handler.closes.empty());
    EXPECT_FALSE(rig.session->closed());
}

TEST_F(EioSession, MessagesInAPostReachTheHandlerInOrder) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    EXPECT_EQ(rig.post("4one\x1e" "bAQID\x1e" "6\x1e" "4two"), "");
    ASSERT_EQ(handler.messages.size(), 3u);
    EXPECT_EQ(handler.messages[0].data, "one");
    EXPECT_FALSE(handler.messages[0].binary);
    EXPECT_TRUE(handler.messages[1].binary);
    EXPECT_EQ(handler.messages[1].data, std::string("\x01\x02\x03", 3));
    EXPECT_EQ(handler.messages[2].data, "two");
}

TEST_F(EioSession, AnEchoComesBackOnTheNextPoll) {
    handler.echo = true;
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto held = rig.start_poll();
    run_ready(ioc);
    EXPECT_EQ(rig.post("4ping-me"), "");
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->body, std::string("4ping-me"));
}

TEST_F(EioSession, OverlappingPollsCloseTheSession) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto first = rig.start_poll();
    run_ready(ioc);
    ASSERT_FALSE(first->done);
    auto second = rig.start_poll();
    ASSERT_TRUE(run_until(ioc, [&] { return first->done && second->done; }));
    EXPECT_EQ(second->body, std::nullopt);
    EXPECT_EQ(second->error, engineio::error::bad_request);
    EXPECT_EQ(first->body, std::string("1"));  // the held one learns of the close
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::transport_error);
    EXPECT_EQ(rig.gone, 1);
}

TEST_F(EioSession, APostedCloseAnswersTheHeldPollWithANoop) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto held = rig.start_poll();
    run_ready(ioc);
    EXPECT_EQ(rig.post("1"), "");
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    EXPECT_EQ(held->body, std::string("6"));
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::forced_close);
    EXPECT_EQ(rig.gone, 1);
}

TEST_F(EioSession, APostedCloseWithoutAHeldPollLetsTheRacingGetFinish) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    EXPECT_EQ(rig.post("1"), "");
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::forced_close);
    EXPECT_EQ(rig.gone, 0);                     // the sid lingers for the GET in flight
    EXPECT_EQ(rig.poll(), std::string("6"));   // which gets its noop
    EXPECT_EQ(rig.gone, 1);
    EXPECT_EQ(rig.poll(), std::nullopt);
    EXPECT_EQ(rig.last_poll_error, engineio::error::unknown_sid);
}

TEST_F(EioSession, ALingeringSidIsForgottenEvenIfNoGetComes) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    EXPECT_EQ(rig.post("1"), "");
    ASSERT_TRUE(run_until(ioc, [&] { return rig.gone == 1; }));
}

TEST_F(EioSession, ServerCloseGivesTheHeldPollTheLastPacketsAndTheNextGetTheClose) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    auto held = rig.start_poll();
    run_ready(ioc);
    // From another thread, as the upper layer may: a last packet, then close.
    std::thread other([s = rig.session] {
        s->send(make_packet(packet_type::message, "bye"));
        s->close(close_reason::server_close);
        s->close(close_reason::server_close);  // idempotent
    });
    other.join();
    ASSERT_TRUE(run_until(ioc, [&] { return held->done; }));
    // Not "4bye\x1e1": socket.io-client would act on the close packet before
    // the message before it (a DISCONNECT, typically) and reconnect.
    EXPECT_EQ(held->body, std::string("4bye"));
    ASSERT_EQ(handler.closes.size(), 1u);
    EXPECT_EQ(handler.closes[0], close_reason::server_close);
    rig.session->send(make_packet(packet_type::message, "dropped"));  // no effect, no crash
    run_ready(ioc);
    EXPECT_EQ(rig.poll(), std::string("1"));
    EXPECT_EQ(rig.gone, 1);
    EXPECT_EQ(rig.poll(), std::nullopt);
    EXPECT_EQ(rig.last_poll_error, engineio::error::unknown_sid);
}

TEST_F(EioSession, ServerCloseBetweenTwoPollsStillDeliversWhatWasQueued) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    std::thread other([s = rig.session] {
        s->send(make_packet(packet_type::message, "last words"));
        s->close(close_reason::server_close);
    });
    other.join();
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(rig.gone, 0);  // not forgotten before the client has its packets
    EXPECT_EQ(rig.poll(), std::string("4last words"));
    EXPECT_EQ(rig.poll(), std::string("1"));
    EXPECT_EQ(rig.gone, 1);
    EXPECT_EQ(rig.poll(), std::nullopt);
    EXPECT_EQ(rig.last_poll_error, engineio::error::unknown_sid);
}

TEST_F(EioSession, AnUndeliveredCloseIsForgottenAfterAWhile) {
    // No ping during the test; the sid lingers about a ping timeout (≥ 1 s).
    session_rig rig(ioc, heartbeat(3600s, 200ms), handler);
    rig.session->send(make_packet(packet_type::message, "nobody polls"));
    run_ready(ioc);
    rig.session->close(close_reason::server_close);
    ASSERT_TRUE(run_until(ioc, [&] { return rig.gone == 1; }));
}

TEST_F(EioSession, AMalformedPostClosesWithParseError) {
    for (const char* bad : {"", "9", "4ok\x1e", "bnot base64!"}) {
        recording_handler h;
        session_rig rig(ioc, no_heartbeat_soon(), h);
        EXPECT_EQ(rig.post(bad), "Bad request") << bad;
        ASSERT_EQ(h.closes.size(), 1u) << bad;
        EXPECT_EQ(h.closes[0], close_reason::parse_error) << bad;
        EXPECT_TRUE(h.messages.empty()) << bad;
    }
}

TEST_F(EioSession, OpenOrUpgradeFromAPollingClientIsAProtocolError) {
    for (const char* bad : {"0", "5"}) {
        recording_handler h;
        session_rig rig(ioc, no_heartbeat_soon(), h);
        EXPECT_EQ(rig.post(bad), "") << bad;  // well-formed, but not allowed here
        ASSERT_EQ(h.closes.size(), 1u) << bad;
        EXPECT_EQ(h.closes[0], close_reason::parse_error) << bad;
    }
}

TEST_F(EioSession, TheQueueBoundClosesASlowClient) {
    session_rig rig(ioc, no_heartbeat_soon(4), handler);
    for (int i = 0; i < 4; ++i) rig.session->send(make_packet(packet_type::message, "x"));
    run_ready(ioc);
    EXPECT_TRUE(handler.closes.empty()) << "at the bound is still fine";
    rig.session->send(make_packet(packet_type::message, "one too many"));
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::slow_client);
    EXPECT_EQ(engineio::to_string(close_reason::slow_client), "transport error");
    EXPECT_EQ(rig.gone, 1);
    // Memory is not allowed to grow further.
    for (int i = 0; i < 1000; ++i) rig.session->send(make_packet(packet_type::message, "x"));
    run_ready(ioc);
    EXPECT_EQ(handler.closes.size(), 1u);
}

TEST_F(EioSession, ABurstOverTheBoundClosesAtOnce) {
    session_rig rig(ioc, no_heartbeat_soon(16), handler);
    std::thread other([s = rig.session] {
        for (int i = 0; i < 100; ++i) s->send(make_packet(packet_type::message, "x"));
    });
    other.join();
    ASSERT_TRUE(run_until(ioc, [&] { return !handler.closes.empty(); }));
    EXPECT_EQ(handler.closes[0], close_reason::slow_client);
}

TEST_F(EioSession, AClientThatPollsKeepsUpWithTheBound) {
    session_rig rig(ioc, no_heartbeat_soon(4), handler);
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 3; ++i) rig.session->send(make_packet(packet_type::message, std::to_string(i)));
        EXPECT_EQ(rig.poll(), std::string("40\x1e" "41\x1e" "42"));
    }
    EXPECT_TRUE(handler.closes.empty());
}

TEST_F(EioSession, CanUpgradeOnlyAnOpenPollingSession) {
    session_rig rig(ioc, no_heartbeat_soon(), handler);
    std::optional<boost::system::error_code> ok;
    asio::co_spawn(rig.session->executor(), rig.session->can_upgrade(),
                   [&](std::exception_ptr, boost::system::error_code v) { ok = v; });
    ASSERT_TRUE(run_until(ioc, [&] { return ok.has_value(); }));
    EXPECT_FALSE(*ok);
    rig.session->close(close_reason::server_close);
    ok.reset();
    asio::co_spawn(rig.session->executor(), rig.session->can_upgrade(),
                   [&](std::exception_ptr, boost::system::error_code v) { ok = v; });
    ASSERT_TRUE(run_until(ioc, [&] { return ok.has_value(); }));
    EXPECT_EQ(*ok, engineio::error::unknown_sid);  // closed: gone, not "already upgraded"
}

TEST(EioCloseReason, NamesAsSocketIoDoes) {
    EXPECT_EQ(engineio::to_string(close_reason::transport_close), "transport close");
    EXPECT_EQ(engineio::to_string(close_reason::transport_error), "transport error");
    EXPECT_EQ(engineio::to_string(close_reason::forced_close), "forced close");
    EXPECT_EQ(engineio::to_string(close_reason::server_close), "forced server close");
    EXPECT_EQ(engineio::to_string(close_reason::parse_error), "parse error");
    EXPECT_EQ(engineio::to_string(close_reason::server_shutdown), "server shutting down");
}
