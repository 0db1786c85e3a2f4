#include "http/static_files.hpp"

#include "http/json_response.hpp"

#include <fstream>
#include <sstream>

namespace solgrid::http_api {
namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

bool static_files::available() const {
    std::error_code ec;
    return std::filesystem::is_regular_file(root_ / "index.html", ec);
}

std::string_view static_files::content_type(const std::filesystem::path& p) {
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
    // Reject traversal outright rather than trying to normalise it.
    if (path.find("..") != std::string::npos || path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
        return error(http::status::bad_request, "bad path", {}, req.version());
    std::filesystem::path rel = path == "/" ? "index.html" : path.substr(1);
    auto file = root_ / rel;
    auto body = read_file(file);
    bool is_index = false;
    if (!body) {
        // A missing asset is a real 404; anything else is a client-side route.
        if (path.rfind("/assets/", 0) == 0 || rel.has_extension())
            return error(http::status::not_found, "no file " + path, {}, req.version());
        file = root_ / "index.html";
        body = read_file(file);
        if (!body) return error(http::status::not_found, "frontend not built", {}, req.version());
    }
    is_index = file.filename() == "index.html";
    response res{http::status::ok, req.version()};
    res.set(http::field::content_type, content_type(file));
    if (is_index)
        res.set(http::field::cache_control, "no-cache");
    else if (path.rfind("/assets/", 0) == 0)
        res.set(http::field::cache_control, "public, max-age=31536000, immutable");
    else
        res.set(http::field::cache_control, "public, max-age=3600");
    res.body() = std::move(*body);
    res.prepare_payload();
    return res;
}

}  // namespace solgrid::http_api
