// Who the client is behind a reverse proxy (TRUSTED_PROXIES): the
// X-Forwarded-For / X-Forwarded-Proto headers are read only when the TCP
// peer is a trusted proxy, and resolved once per request by the HTTP server
// (http_server.cpp) into request_info::remote / secure, which everything
// downstream uses (rate limits, audit, access log, DEVICE_TRUSTED_NETWORKS,
// the Secure cookie, Engine.IO handshakes). Pure functions over text: no
// I/O, never throw; any thread. A header that cannot be read is reported
// (`malformed`) and ignored, never guessed at.
#pragma once

#include "common/cidr.hpp"
#include "net/types.hpp"

#include <optional>
#include <string_view>

namespace solgrid::net {

// Longest X-Forwarded-For element looked at; a longer one is malformed
// (the longest IPv6 text with brackets and a port is 47 bytes).
inline constexpr std::size_t max_forwarded_element = 64;

struct forwarded_view {
    asio::ip::address client;  // who the request is from
    bool secure = false;       // TLS to us, or a trusted proxy said X-Forwarded-Proto: https
    bool forwarded = false;    // `client` came from X-Forwarded-For (it is not the TCP peer)
    bool malformed = false;    // a trusted peer's X-Forwarded-For could not be read; the peer is the client
};

// One X-Forwarded-For element: an IPv4 or IPv6 address, optionally with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711") or in brackets
// ("[2001:db8::1]"); spaces and tabs around it are ignored. An IPv4-mapped
// IPv6 address comes back as the IPv4 address. nullopt for anything else:
// "unknown", RFC 7239 obfuscated identifiers ("_hidden"), host names,
// zone ids ("fe80::1%eth0"), leading-zero or short IPv4 forms, over-long text.
std::optional<asio::ip::address> parse_forwarded_element(std::string_view text);

// The rule. When `peer` is not in `trusted` (or `trusted` is empty) the
// headers are not read at all: the client is the peer, secure is `tls`.
// From a trusted peer:
//  - X-Forwarded-For (comma-separated, several header fields joined by ","
//    in order) is walked from the right, skipping elements that are
//    themselves trusted proxies; the first untrusted one is the client; if
//    all are trusted, the left-most. Empty elements are skipped. Elements
//    left of the client are never read (the client wrote them, so they can
//    neither help nor harm). An element the walk reaches that is not an
//    address makes the whole header malformed: the client is then the peer.
//  - The last element of X-Forwarded-Proto, "https" in any case, makes the
//    request secure; anything else leaves secure as `tls`.
forwarded_view resolve_forwarded(const asio::ip::address& peer, bool tls, std::string_view forwarded_for,
                                 std::string_view forwarded_proto, const common::network_list& trusted);

// resolve_forwarded for one request on a connection: reads the request's
// X-Forwarded-For / X-Forwarded-Proto fields (all of them) and sets
// info.remote (port 0 when forwarded) and info.secure from info.peer and
// info.tls, so each request on a kept-alive connection is resolved afresh.
// The caller logs a malformed header (throttled).
forwarded_view apply_forwarded(const request& req, request_info& info, const common::network_list& trusted);

}  // namespace solgrid::net
