// socketio::server with Socket.IO protocol v4 clients (socket.io-client
// 2.x over Engine.IO v3): "/" joined at the handshake without a CONNECT,
// other namespaces by "0/nsp[?query]," answered "0/nsp,", the query as the
// auth object, CONNECT_ERROR with a plain string, no recovery; events,
// acks and broadcasts as in v5.
#include "sio_test_support.hpp"

using namespace solgrid;
using namespace solgrid::test;

namespace {

// A v3 client over polling: Engine.IO messages in and out in the v3 framing.
class v3_client {
public:
    v3_client(asio::io_context& ioc, socketio::server& sio, std::map<std::string, std::string> query = {})
        : ioc_(ioc), rig_(ioc, no_heartbeat_soon(), sio, info_of(std::move(query))) {
        run_ready(ioc_);
    }

    // Socket.IO packets, as Engine.IO messages in one POST.
    std::string send(std::initializer_list<std::string> packets) {
        std::vector<engineio::outgoing_ptr> out;
        for (const auto& p : packets) out.push_back(engineio::make_packet(engineio::packet_type::message, p));
        return rig_.post(engineio::encode_payload_v3(out, true));
    }

    // The next Engine.IO packet from the server (its whole text, "4…").
    std::string next() {
        if (inbox_.empty()) {
            auto body = rig_.poll();
            if (!body) return "<400>";
            auto packets = engineio::decode_payload_v3(*body);
            EXPECT_TRUE(packets) << *body;
            if (!packets) return "<bad v3 payload>";
            for (auto& p : *packets) inbox_.push_back(static_cast<char>(p.type) + p.data);
        }
        auto r = inbox_.front();
        inbox_.pop_front();
        return r;
    }

    bool closed() const { return rig_.session->closed(); }

private:
    static engineio::handshake_info info_of(std::map<std::string, std::string> query) {
        engineio::handshake_info info;
        info.protocol = 3;
        info.b64 = true;
        info.transport = "polling";
        query.emplace("EIO", "3");
        query.emplace("transport", "polling");
        query.emplace("t", "NaBc1x2");
        info.query = std::move(query);
        return info;
    }

    asio::io_context& ioc_;
    session_rig rig_;
    std::deque<std::string> inbox_;
};

}  // namespace

TEST_F(SioServer, V4ClientIsInTheDefaultNamespaceFromTheHandshake) {
    make();
    v3_client c(ioc, *sio);
    EXPECT_EQ(c.next(), "40");  // no sid payload
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_TRUE(sockets[0]->pid().empty());
    // Events, acks and broadcasts look as in v5.
    c.send({R"(2["record",1])", R"(217["echo","x"])"});
    EXPECT_EQ(c.next(), R"(4317["x"])");
    ASSERT_EQ(received.size(), 1u);
    root().emit("new_sun_data", args({json::object{{"solar_w", 1}}}));
    EXPECT_EQ(c.next(), R"(42["new_sun_data",{"solar_w":1}])");
}

TEST_F(SioServer, V4ClientsQueryIsItsAuth) {
    make();
    v3_client c(ioc, *sio, {{"token", "abc"}});
    EXPECT_EQ(c.next(), "40");
    ASSERT_EQ(sockets.size(), 1u);
    const auto& auth = sockets[0]->handshake().auth;
    EXPECT_EQ(auth.at("token"), "abc");
    EXPECT_FALSE(auth.contains("EIO"));  // the transport's own parameters are not auth
    EXPECT_FALSE(auth.contains("transport"));
    EXPECT_FALSE(auth.contains("t"));
}

TEST_F(SioServer, V4MiddlewareRefusalIsAPlainStringError) {
    make();
    root().use([](socketio::socket& s) -> std::optional<socketio::connect_error> {
        if (s.handshake().auth.contains("token")) return std::nullopt;
        return socketio::connect_error{"unauthorized", std::nullopt};
    });
    v3_client refused(ioc, *sio);
    EXPECT_EQ(refused.next(), R"(44"unauthorized")");
    EXPECT_FALSE(refused.closed());
    EXPECT_TRUE(sockets.empty());
    v3_client accepted(ioc, *sio, {{"token", "t"}});
    EXPECT_EQ(accepted.next(), "40");
    EXPECT_EQ(sockets.size(), 1u);
}

TEST_F(SioServer, V4NamespacesWithAQueryAndUnknownOnes) {
    make();
    auto& custom = sio->of("/custom");
    std::vector<socketio::socket_ptr> custom_sockets;
    custom.on_connection([&](const socketio::socket_ptr& s) { custom_sockets.push_back(s); });
    v3_client c(ioc, *sio);
    EXPECT_EQ(c.next(), "40");
    c.send({"0/custom?token=xyz&a=%20b,"});
    EXPECT_EQ(c.next(), "40/custom,");
    ASSERT_EQ(custom_sockets.size(), 1u);
    EXPECT_EQ(custom_sockets[0]->nsp_name(), "/custom");
    EXPECT_EQ(custom_sockets[0]->handshake().auth.at("token"), "xyz");
    EXPECT_EQ(custom_sockets[0]->handshake().auth.at("a"), " b");
    custom.emit("only-custom", args({1}));
    EXPECT_EQ(c.next(), R"(42/custom,["only-custom",1])");
    c.send({"0/nope,"});
    EXPECT_EQ(c.next(), R"(44/nope,"Invalid namespace")");
    EXPECT_FALSE(c.closed());
}

TEST_F(SioServer, V4ClientsGetNoRecoveryPid) {
    make(with_recovery());
    v3_client c(ioc, *sio);
    EXPECT_EQ(c.next(), "40");
    ASSERT_EQ(sockets.size(), 1u);
    EXPECT_TRUE(sockets[0]->pid().empty());
    EXPECT_FALSE(sockets[0]->keeps_offsets());
    root().emit("tick", args({1}));
    EXPECT_EQ(c.next(), R"(42["tick",1])");  // no offset argument
}
