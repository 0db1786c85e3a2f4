// A MySQL server that cannot be reached at start: the database retries for
// `start_retry`, then fails with an error a person can act on (which
// host:port, which settings, what to check). Needs no server: the port used
// is one just found free on 127.0.0.1.
#include "storage/database.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace solgrid;

namespace {

unsigned closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        ADD_FAILURE() << "could not find a free port";
    ::close(fd);  // nothing listens there now
    return ntohs(a.sin_port);
}

storage::database_options unreachable(unsigned port) {
    storage::database_options o;
    o.kind = storage::dialect::mysql;
    o.mysql_host = "127.0.0.1";
    o.mysql_port = port;
    o.mysql_user = "solgrid";
    o.mysql_database = "solgrid_start_test";
    o.connect_timeout = std::chrono::seconds(2);
    return o;
}

std::string start_error(const storage::database_options& o) {
    try {
        storage::database db(o);
    } catch (const std::exception& e) {
        return e.what();
    }
    ADD_FAILURE() << "the database opened although nothing listens on " << o.mysql_port;
    return {};
}

TEST(MysqlStart, UnreachableServerIsRetriedThenNamed) {
    auto port = closed_port();
    auto o = unreachable(port);
    o.start_retry = std::chrono::seconds(1);
    o.start_retry_interval = std::chrono::milliseconds(200);
    auto msg = start_error(o);
    EXPECT_NE(msg.find("cannot reach MySQL at 127.0.0.1:" + std::to_string(port) + " (DB_HOST:DB_PORT) after"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("check that the server is running and DB_HOST/DB_PORT are right"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Can't connect"), std::string::npos) << msg;  // the client's own words
}

TEST(MysqlStart, NoRetryWhenZero) {
    auto port = closed_port();
    auto o = unreachable(port);
    o.start_retry = std::chrono::seconds(0);
    auto msg = start_error(o);
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
    EXPECT_NE(msg.find("DB_START_RETRY_S=0"), std::string::npos) << msg;
}

}  // namespace
