// Serves the built frontend (frontend/dist) at "/": correct content types,
// long-lived caching for hashed assets under /assets/, no caching for
// index.html, and the SPA fallback (unknown paths get index.html so client
// routes like /trade survive a reload). Read-only; any thread.
#pragma once

#include "http/router.hpp"

#include <filesystem>

namespace solgrid::http_api {

class static_files {
public:
    explicit static_files(std::filesystem::path root) : root_(std::move(root)) {}

    bool available() const;
    response serve(const request& req, const std::string& path) const;

    static std::string_view content_type(const std::filesystem::path& p);

private:
    std::filesystem::path root_;
};

}  // namespace solgrid::http_api
