// static_files: only regular files inside the root, whatever the path says
// (issue 11 A1: //etc/passwd and /%2fetc%2fpasswd were served).
#include "http/static_files.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

using namespace solgrid::http_api;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

class StaticFiles : public ::testing::Test {
protected:
    void SetUp() override {
        base = fs::temp_directory_path() / ("solgrid-static-" + std::to_string(::getpid()));
        fs::remove_all(base);
        fs::create_directories(base / "dist/assets");
        fs::create_directories(base / "dist/sub");
        write(base / "secret.txt", "outside");
        write(base / "dist-evil.txt", "beside the root");
        write(base / "dist/index.html", "<html>index</html>");
        write(base / "dist/assets/app.js", "console.log(1)");
        write(base / "dist/.env", "DB_PASSWORD=x");
        fs::create_symlink("../../secret.txt", base / "dist/assets/out.js");
        fs::create_symlink("/etc/passwd", base / "dist/assets/passwd.js");
        fs::create_symlink("app.js", base / "dist/assets/in.js");
        fs::create_symlink("..", base / "dist/up");
        fs::create_symlink("../dist-evil.txt", base / "dist/evil.txt");
        root = fs::canonical(base / "dist");
    }
    void TearDown() override { fs::remove_all(base); }

    static request get(std::string target) {
        request req{http::verb::get, target, 11};
        return req;
    }

    fs::path base, root;
};

}  // namespace

TEST_F(StaticFiles, ResolvesFilesInsideTheRoot) {
    static_files files(base / "dist");
    EXPECT_TRUE(files.available());
    EXPECT_EQ(files.resolve("/"), root / "index.html");
    EXPECT_EQ(files.resolve("/index.html"), root / "index.html");
    EXPECT_EQ(files.resolve("/assets/app.js"), root / "assets/app.js");
    // A symlink that stays inside the root is fine; it resolves to its target.
    EXPECT_EQ(files.resolve("/assets/in.js"), root / "assets/app.js");
}

TEST_F(StaticFiles, RefusesEverythingThatLeavesTheRootOrIsNotAFile) {
    static_files files(base / "dist");
    auto secret = fs::canonical(base / "secret.txt").string();
    const std::string refused[] = {
        "//etc/passwd",  // what --path-as-is //etc/passwd and /%2fetc%2fpasswd decode to
        "/" + secret,     // any absolute path, doubled slash first
        "//proc/self/environ",
        "/../secret.txt",  // what %2e%2e decodes to
        "/assets/../../secret.txt",
        "/assets/../index.html",  // even when it would land inside
        "/./index.html",
        "/assets//app.js",
        "/assets/out.js",     // symlink leading out of the root
        "/assets/passwd.js",  // symlink to an absolute path
        "/up/secret.txt",     // through a symlinked directory
        "/evil.txt",          // beside the root, a name sharing its prefix
        "/sub",               // a directory
        "/assets",
        "/assets/",
        "/.env",  // dot files
        std::string("/index.html\0.js", 15),
        "/assets\\app.js",
        "/no-such-file.js",
        "",
        "index.html",
    };
    for (const auto& p : refused) EXPECT_FALSE(files.resolve(p)) << p;
}

TEST_F(StaticFiles, ARootThatIsMissingServesNothing) {
    static_files files(base / "nope");
    EXPECT_FALSE(files.available());
    EXPECT_FALSE(files.resolve("/index.html"));
}

TEST_F(StaticFiles, AnswersStreamTheFileWithItsLengthAndCaching) {
    static_files files(base / "dist");
    auto res = files.serve(get("/assets/app.js"), "/assets/app.js");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.body().has_file());
    EXPECT_EQ(res.body().payload_size(), 14u);
    EXPECT_EQ(res[http::field::content_length], "14");
    EXPECT_EQ(res[http::field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(res[http::field::cache_control], "public, max-age=31536000, immutable");
}

TEST_F(StaticFiles, ClientRoutesGetIndexMissingAssetsAndRefusedPaths404Json) {
    static_files files(base / "dist");
    for (std::string route : {"/history", "/trade/", "/"}) {
        auto res = files.serve(get(route), route);
        EXPECT_EQ(res.result(), http::status::ok) << route;
        EXPECT_EQ(res[http::field::cache_control], "no-cache") << route;
        EXPECT_EQ(res[http::field::content_type], "text/html; charset=utf-8") << route;
        EXPECT_EQ(res.body().payload_size(), 18u) << route;
    }
    for (std::string p : {"/assets/missing", "/missing.js", "//etc/passwd", "/../secret.txt", "/assets/out.js",
                          "/.env", "/up/secret.txt"}) {
        auto res = files.serve(get(p), p);
        EXPECT_EQ(res.result(), http::status::not_found) << p;
        EXPECT_EQ(res[http::field::content_type], "application/json") << p;
        auto body = boost::json::parse(res.body());
        EXPECT_EQ(body.at("success"), false) << p;
        EXPECT_FALSE(res.body().has_file()) << p;
    }
}

TEST_F(StaticFiles, ARootThatIsASymlinkFollowsItsCurrentTarget) {
    fs::create_directories(base / "v2/assets");
    write(base / "v2/index.html", "<html>v2</html>");
    fs::create_symlink("dist", base / "current");
    static_files files(base / "current");
    EXPECT_EQ(files.resolve("/index.html"), root / "index.html");
    EXPECT_EQ(files.resolve("/assets/app.js"), root / "assets/app.js");
    // A new release: the link now points at v2.
    fs::remove(base / "current");
    fs::create_symlink("v2", base / "current");
    EXPECT_EQ(files.resolve("/index.html"), fs::canonical(base / "v2/index.html"));
    EXPECT_FALSE(files.resolve("/assets/app.js"));
    EXPECT_FALSE(files.resolve("/assets/out.js"));
}
