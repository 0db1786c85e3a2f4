// net::body: the string body every handler fills, or a file streamed in
// pieces (issue 11 A1: never read a whole large file into memory).
#include "net/types.hpp"

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace solgrid;
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

// Everything the serializer produces for `res`, piece by piece, as a server would send it.
struct wire {
    std::string bytes;
    std::size_t pieces = 0;
    std::size_t largest = 0;
    boost::beast::error_code ec;
};

wire serialize(net::response& res) {
    wire out;
    http::response_serializer<net::body> sr{res};
    while (!sr.is_done()) {
        sr.next(out.ec, [&](boost::beast::error_code&, const auto& buffers) {
            std::size_t n = 0;
            for (auto b : boost::beast::buffers_range_ref(buffers)) {
                out.bytes.append(static_cast<const char*>(b.data()), b.size());
                n += b.size();
            }
            ++out.pieces;
            out.largest = std::max(out.largest, n);
            sr.consume(n);
        });
        if (out.ec) break;
    }
    return out;
}

class BodyFile : public ::testing::Test {
protected:
    void SetUp() override {
        path = fs::temp_directory_path() / ("solgrid-body-" + std::to_string(::getpid()));
        std::mt19937 rng(7);
        content.resize(3 * 1024 * 1024 + 123);  // larger than the 1 MB request body limit
        for (auto& c : content) c = static_cast<char>(rng());
        std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    void TearDown() override { fs::remove(path); }

    std::shared_ptr<const net::open_file> open() const {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        EXPECT_GE(fd, 0);
        return std::make_shared<const net::open_file>(fd);
    }

    fs::path path;
    std::string content;
};

}  // namespace

TEST(Body, BehavesAsAStringForEveryHandler) {
    net::response res{http::status::ok, 11};
    res.body() = "hello";
    res.body() += " world";
    std::string s = "!";
    res.body().append(s);
    EXPECT_EQ(res.body(), "hello world!");
    EXPECT_EQ(std::string_view(res.body()), "hello world!");
    res.prepare_payload();
    EXPECT_EQ(res[http::field::content_length], "12");
    auto w = serialize(res);
    EXPECT_FALSE(w.ec);
    EXPECT_TRUE(w.bytes.ends_with("\r\n\r\nhello world!"));
    std::string moved = std::move(res.body());
    EXPECT_EQ(moved, "hello world!");
}

TEST_F(BodyFile, AFileIsStreamedInPiecesWithItsLength) {
    net::response res{http::status::ok, 11};
    res.body().stream_file(open(), content.size());
    res.prepare_payload();
    EXPECT_EQ(res[http::field::content_length], std::to_string(content.size()));
    auto w = serialize(res);
    ASSERT_FALSE(w.ec) << w.ec.message();
    auto header_end = w.bytes.find("\r\n\r\n");
    ASSERT_NE(header_end, std::string::npos);
    EXPECT_TRUE(w.bytes.compare(header_end + 4, std::string::npos, content) == 0) << "bytes differ";
    EXPECT_EQ(w.bytes.size() - header_end - 4, content.size());
    EXPECT_GT(w.pieces, 40u);              // 64 KiB at a time...
    EXPECT_LE(w.largest, 64 * 1024 + 256);  // ...never the whole file at once
}

TEST_F(BodyFile, CopiesShareTheFileAndEachSendsItAll) {
    net::response res{http::status::ok, 11};
    res.body().stream_file(open(), content.size());
    res.prepare_payload();
    net::response copy = res;
    auto a = serialize(res);
    auto b = serialize(copy);
    EXPECT_EQ(a.bytes, b.bytes);
}

TEST_F(BodyFile, AssigningTextDropsTheFile) {
    net::response res{http::status::ok, 11};
    res.body().stream_file(open(), content.size());
    res.body() = std::string("replaced");
    EXPECT_FALSE(res.body().has_file());
    EXPECT_EQ(net::body::size(res.body()), 8u);
}

TEST_F(BodyFile, AFileThatShrankEndsTheWriteWithAnError) {
    net::response res{http::status::ok, 11};
    res.body().stream_file(open(), content.size());
    res.prepare_payload();
    fs::resize_file(path, 1000);
    auto w = serialize(res);
    EXPECT_EQ(w.ec, http::error::short_read);
}

TEST(Body, ParsesAnAnswerIntoText) {
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
    http::response_parser<net::body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(wire), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_done());
    net::response res = parser.release();
    EXPECT_EQ(res.body(), "{\"ok\":true}");
    EXPECT_FALSE(res.body().has_file());
}
