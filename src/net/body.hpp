// The body of every response (net::response): a std::string, as Beast's
// string_body, that may instead carry an open file to stream. Handlers keep
// writing `res.body() = "...";`; the static file handler calls
// `res.body().stream_file(...)` and the writer then sends the file in 64 KiB
// pieces read with pread(), so a large file never sits whole in memory.
// A value is touched by one connection at a time; the file handle is shared
// (copies of a response may exist) and reads never move its offset.
// A file that shrinks while it is sent ends the write with short_read.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace solgrid::net {

// An open, read-only file descriptor; closed when the last owner lets go.
class open_file {
public:
    explicit open_file(int fd) : fd_(fd) {}
    ~open_file();
    open_file(const open_file&) = delete;
    open_file& operator=(const open_file&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

struct body {
    class value_type : public std::string {
    public:
        using std::string::string;
        value_type() = default;
        value_type(std::string s) : std::string(std::move(s)) {}  // NOLINT: implicit on purpose

        // Assigning text drops a file set before.
        template <class T>
            requires(!std::is_same_v<std::remove_cvref_t<T>, value_type> && std::is_assignable_v<std::string&, T &&>)
        value_type& operator=(T&& text) {
            std::string::operator=(std::forward<T>(text));
            file_.reset();
            return *this;
        }
        void clear() noexcept {
            std::string::clear();
            file_.reset();
        }

        // Sends `size` bytes of `file` (from offset 0) instead of the string.
        void stream_file(std::shared_ptr<const open_file> file, std::uint64_t size) {
            std::string::clear();
            file_ = std::move(file);
            file_size_ = size;
        }
        bool has_file() const { return file_ != nullptr; }
        const std::shared_ptr<const open_file>& file() const { return file_; }
        // Bytes this body puts on the wire.
        std::uint64_t payload_size() const { return file_ ? file_size_ : std::string::size(); }

    private:
        std::shared_ptr<const open_file> file_;
        std::uint64_t file_size_ = 0;
    };

    static std::uint64_t size(const value_type& v) { return v.payload_size(); }

    class writer {
    public:
        using const_buffers_type = boost::asio::const_buffer;

        template <bool isRequest, class Fields>
        writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& b) : body_(b) {}

        void init(boost::beast::error_code& ec) { ec = {}; }
        boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec);

    private:
        const value_type& body_;
        std::uint64_t offset_ = 0;
        std::vector<char> chunk_;
    };

    // Parsing into this body (tests read answers with it) keeps the text.
    class reader {
    public:
        template <bool isRequest, class Fields>
        reader(boost::beast::http::header<isRequest, Fields>&, value_type& b) : body_(b) {}

        void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec);
        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
            auto n = boost::asio::buffer_size(buffers);
            auto at = body_.size();
            body_.resize(at + n);
            ec = {};
            return boost::asio::buffer_copy(boost::asio::buffer(&body_[at], n), buffers);
        }
        void finish(boost::beast::error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

}  // namespace solgrid::net
