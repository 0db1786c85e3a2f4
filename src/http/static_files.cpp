#include "http/static_files.hpp"

#include "http/json_response.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace solgrid::http_api {
namespace {

namespace fs = std::filesystem;

// The request path as segments relative to the root, or nullopt if any part
// of it could mean something other than a plain name inside the root.
std::optional<fs::path> relative_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return std::nullopt;
    path.remove_prefix(1);
    if (path.empty()) return fs::path("index.html");
    fs::path rel;
    while (!path.empty()) {
        auto slash = path.find('/');
        auto segment = path.substr(0, slash);
        bool last = slash == std::string_view::npos;
        if (segment.empty()) {
            if (last || slash + 1 == path.size()) break;  // one trailing "/" is harmless
            return std::nullopt;                           // "//": an absolute path in disguise
        }
        if (segment.front() == '.') return std::nullopt;  // "..", ".", dot files
        rel /= fs::path(std::string(segment));
        if (last) break;
        path.remove_prefix(slash + 1);
    }
    if (rel.empty()) return std::nullopt;
    return rel;
}

// An opened regular file: the descriptor and its size.
struct opened {
    std::shared_ptr<const net::open_file> file;
    std::uint64_t size = 0;
};

std::optional<opened> open_regular(const fs::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::nullopt;
    auto file = std::make_shared<const net::open_file>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return opened{std::move(file), static_cast<std::uint64_t>(st.st_size)};
}

}  // namespace

static_files::static_files(fs::path root) : root_(std::move(root)) {}

bool static_files::available() const { return resolve("/index.html").has_value(); }

std::optional<fs::path> static_files::resolve(std::string_view path) const {
    auto rel = relative_path(path);
    if (!rel) return std::nullopt;
    // The root's realpath each time: a FRONTEND_DIR symlink switched to a new
    // release is followed, and what is inside is judged against it.
    std::error_code ec;
    auto root = fs::canonical(root_, ec);
    if (ec) return std::nullopt;
    auto real = fs::canonical(root / *rel, ec);  // follows every symlink
    if (ec) return std::nullopt;
    // Inside the root: the root's components are a prefix of the file's.
    auto [r, f] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
    if (r != root.end() || f == real.end()) return std::nullopt;
    if (!fs::is_regular_file(real, ec)) return std::nullopt;
    return real;
}

std::string_view static_files::content_type(const fs::path& p) {
    static const std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".ico", "image/x-icon"},
        {".webp", "image/webp"}, {".woff2", "font/woff2"}, {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"},
        {".webmanifest", "application/manifest+json"}};
    auto ext = p.extension().string();
    for (auto& [e, t] : types)
        if (ext == e) return t;
    return "application/octet-stream";
}

response static_files::serve(const request& req, const std::string& path) const {
    auto file = resolve(path);
    std::optional<opened> content;
    if (file) content = open_regular(*file);  // resolved, so no symlink left to follow
    if (!content) {
        // A missing asset is a real 404, as is a path we refuse; anything else
        // is a client-side route.
        std::string_view p = path;
        bool route_like = relative_path(p) && p.rfind("/assets/", 0) != 0 && !fs::path(path).has_extension();
        if (!route_like) return error(http::status::not_found, "no file " + path, {}, req.version());
        file = resolve("/index.html");
        if (file) content = open_regular(*file);
        if (!content) return error(http::status::not_found, "frontend not built", {}, req.version());
    }
    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, content_type(*file));
    if (file->filename() == "index.html")
        res.set(http::field::cache_control, "no-cache");
    else if (path.rfind("/assets/", 0) == 0)
        res.set(http::field::cache_control, "public, max-age=31536000, immutable");
    else
        res.set(http::field::cache_control, "public, max-age=3600");
    res.set("X-Content-Type-Options", "nosniff");
    res.body().stream_file(std::move(content->file), content->size);
    res.prepare_payload();
    return res;
}

}  // namespace solgrid::http_api
