#include "net/body.hpp"

#include <cerrno>
#include <unistd.h>

namespace solgrid::net {

open_file::~open_file() {
    if (fd_ >= 0) ::close(fd_);
}

boost::optional<std::pair<body::writer::const_buffers_type, bool>> body::writer::get(boost::beast::error_code& ec) {
    ec = {};
    if (!body_.has_file()) return {{const_buffers_type{body_.data(), body_.size()}, false}};
    const std::uint64_t total = body_.payload_size();
    if (offset_ >= total) return boost::none;
    constexpr std::size_t piece = 64 * 1024;
    if (chunk_.empty()) chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(piece, total)));
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), total - offset_));
    ssize_t n;
    do {
        n = ::pread(body_.file()->fd(), chunk_.data(), want, static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ec = boost::beast::error_code(errno, boost::system::system_category());
        return boost::none;
    }
    if (n == 0) {  // the file shrank under us: the Content-Length already sent cannot be met
        ec = boost::beast::http::error::short_read;
        return boost::none;
    }
    offset_ += static_cast<std::uint64_t>(n);
    return {{const_buffers_type{chunk_.data(), static_cast<std::size_t>(n)}, offset_ < total}};
}

void body::reader::init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
    ec = {};
    if (length && *length < body_.max_size()) body_.reserve(static_cast<std::size_t>(*length));
}

}  // namespace solgrid::net
