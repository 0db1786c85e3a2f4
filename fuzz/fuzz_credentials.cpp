// libFuzzer target: the Cookie and Authorization header parsers
// (http/credentials.hpp) and the X-Forwarded-For / -Proto resolution
// (net/forwarded.hpp), on any header value a client can send.
// Invariants: never crash; a cookie value returned is at most 4096
// cookie-octets and a Bearer token at most 512 token68 characters; the
// first well-formed pair wins, so appending a pair of the same name never
// changes the answer and prepending one always does; a token found reads the
// same again under "Bearer "; a value accepted from a header can be set as
// the session cookie and read back from it. Forwarded: an untrusted peer's
// headers are never read; a malformed header leaves the peer as the client;
// a client that is not a trusted proxy stays the client whatever is written
// to its left (no spoofing by prepending); an element read back from its
// address text is the same address.
#include "http/credentials.hpp"
#include "net/forwarded.hpp"

#include <chrono>
#include <cstdlib>

using namespace solgrid::http_api;

namespace {

bool cookie_octet(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7E && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool token68_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

void check_cookie(std::string_view header, std::string_view name) {
    auto v = cookie_value(header, name);
    if (!v) return;
    if (v->size() > max_cookie_value) std::abort();
    for (char c : *v)
        if (!cookie_octet(c)) std::abort();
    std::string later(header);
    later += "; ";
    later += name;
    later += "=later";
    if (cookie_value(later, name) != v) std::abort();
    std::string earlier(name);
    earlier += "=first; ";
    earlier += header;
    if (cookie_value(earlier, name) != "first") std::abort();
    if (!v->empty() && cookie_value(session_cookie(*v, std::chrono::seconds(60), true), session_cookie_name) != v)
        std::abort();
}

const solgrid::common::network_list& trusted_proxies() {
    static const auto list = *solgrid::common::network_list::parse("127.0.0.0/8, 10.0.0.0/8, ::1/128, fd00::/8");
    return list;
}

// Input: the first line an X-Forwarded-For value, the rest X-Forwarded-Proto.
void check_forwarded(std::string_view text) {
    namespace net = solgrid::net;
    namespace ip = boost::asio::ip;
    auto nl = text.find('\n');
    auto xff = text.substr(0, nl);
    auto xfp = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto& trusted = trusted_proxies();
    static const auto proxy = ip::make_address("127.0.0.1");
    static const auto outsider = ip::make_address("203.0.113.9");

    for (bool tls : {false, true}) {
        auto away = net::resolve_forwarded(outsider, tls, xff, xfp, trusted);
        if (away.client != outsider || away.forwarded || away.malformed || away.secure != tls) std::abort();

        auto v = net::resolve_forwarded(proxy, tls, xff, xfp, trusted);
        if (tls && !v.secure) std::abort();
        if ((v.malformed || !v.forwarded) && v.client != proxy) std::abort();
        if (v.malformed && v.forwarded) std::abort();
        if (v.forwarded && !trusted.contains(v.client)) {
            // Whatever the client writes to its left changes nothing.
            std::string spoofed(xfp);
            spoofed += ",127.0.0.1,";
            spoofed += xff;
            auto again = net::resolve_forwarded(proxy, tls, spoofed, xfp, trusted);
            if (again.client != v.client || !again.forwarded || again.malformed) std::abort();
        }
    }

    if (xff.size() <= 2 * net::max_forwarded_element) {
        if (auto a = net::parse_forwarded_element(xff)) {
            if (a->is_v6() && a->to_v6().is_v4_mapped()) std::abort();
            if (net::parse_forwarded_element(a->to_string()) != a) std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    check_cookie(text, session_cookie_name);
    check_cookie(text, "a");
    // A name chosen by the input: up to its first '\n' (the header after it).
    if (auto nl = text.find('\n'); nl != std::string_view::npos) {
        auto name = text.substr(0, nl);
        auto header = text.substr(nl + 1);
        check_cookie(header, name);
    }

    auto token = bearer_token(text);
    if (token) {
        if (token->empty() || token->size() > max_bearer_token) std::abort();
        for (char c : *token)
            if (!token68_char(c)) std::abort();
        if (token->front() == '=') std::abort();
        if (bearer_token("Bearer " + *token) != token) std::abort();
        if (bearer_token("bEaReR   " + *token + " ") != token) std::abort();
    }

    check_forwarded(text);
    return 0;
}
