// Serves the built frontend (frontend/dist) at "/": correct content types,
// long-lived caching for hashed assets under /assets/, no caching for
// index.html, and the SPA fallback (unknown paths without an extension get
// index.html so client routes like /trade survive a reload).
//
// Only regular files inside the root are ever served: the request path
// (already percent-decoded by the router) is split into segments, and any
// empty segment ("//"), dot segment or dot file ("..", ".", ".env"), NUL or
// backslash is refused; the candidate is then resolved with realpath
// (symlinks followed) and must still lie inside the root's own realpath.
// Anything else is a JSON 404. Files are streamed (net/body.hpp), never
// read whole into memory. Read-only; any thread.
#pragma once

#include "http/router.hpp"

#include <filesystem>

namespace solgrid::http_api {

class static_files {
public:
    explicit static_files(std::filesystem::path root);

    bool available() const;
    // `path` is the decoded request path ("/assets/app.js").
    response serve(const request& req, const std::string& path) const;

    // The file `path` names inside the root, fully resolved, if it is a
    // regular file there; nullopt for anything else (see above).
    std::optional<std::filesystem::path> resolve(std::string_view path) const;

    static std::string_view content_type(const std::filesystem::path& p);

private:
    std::filesystem::path root_;  // as configured; resolved on each request
};

}  // namespace solgrid::http_api
