// A small asynchronous HTTP/1.1 client for talking to devices (the server to
// the Arduino, the simulator to the server): one request per connection,
// the whole exchange (resolve excepted) bounded by one timeout, plain http
// only. Awaited from any executor; it runs there and never blocks a thread.
// Failures throw http_client_error with a sentence naming the peer and the
// cause ("connect to 127.0.0.1:5001: Connection refused", "no answer from
// 10.0.0.7:80 within 2000 ms").
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace solgrid::device {

namespace asio = boost::asio;
namespace http = boost::beast::http;

class http_client_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// http://host[:port][/prefix] split for requests; the prefix has no
// trailing slash ("" for none).
struct base_url {
    std::string host;
    std::string port = "80";
    std::string prefix;

    std::string authority() const { return host + ":" + port; }
    std::string to_string() const { return "http://" + authority() + prefix; }
};

// Parses an http:// URL (as in ARDUINO_URL); nullopt with `why` set if it is
// not one this client can use (https, no host, a query, ...).
std::optional<base_url> parse_base_url(const std::string& url, std::string* why = nullptr);

struct http_result {
    unsigned status = 0;
    std::string body;
    std::chrono::milliseconds latency{0};  // from connect to the end of the reply
};

// Extra request header fields (e.g. Authorization), set after the defaults.
using header_list = std::vector<std::pair<http::field, std::string>>;

// Sends one request to `base` at `prefix + path` with a JSON body (if not
// empty) and `headers`, and reads the whole reply (at most 64 KiB).
// Arguments are taken by value: the coroutine owns them while it runs.
asio::awaitable<http_result> http_request(base_url base, http::verb method, std::string path,
                                          std::string body, std::chrono::milliseconds timeout,
                                          header_list headers = {});

}  // namespace solgrid::device
