// RESP, the Redis wire protocol (RESP2, and the RESP3 reply types a server
// may send after HELLO 3): commands encoded as arrays of bulk strings
// (binary-safe), replies decoded from a byte buffer. Pure: no I/O, no
// threads; any thread may use its own decoder.
//
// decode() is incremental: given the bytes received so far it returns one
// complete reply and how many bytes it used, std::nullopt when the reply is
// not complete yet ("need more"), or throws protocol_error naming what is
// malformed. Hard limits (bulk length, nesting depth, elements per
// aggregate and per reply) bound the memory hostile bytes can make it use:
// a length beyond a limit is refused when its header is read, before any
// allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::redis {

enum class kind : std::uint8_t {
    simple_string,  // +OK
    error,          // -ERR ... (and RESP3 !<len> blob errors)
    integer,        // :42
    bulk_string,    // $3 foo (and RESP3 =<len> verbatim strings, "txt:" prefix kept)
    null,           // $-1, *-1, RESP3 _
    array,          // *N (and RESP3 ~ sets, > pushes)
    map,            // RESP3 %N: elements hold key, value, key, value, ...
    boolean,        // RESP3 #t / #f (integer 1 / 0)
    double_number,  // RESP3 ,1.5 (text kept in str: inf, -inf, nan included)
    big_number,     // RESP3 (1234... (digits kept in str)
};

const char* kind_name(kind k);

struct value {
    kind type = kind::null;
    std::string str;            // simple, error, bulk, double, big number
    long long integer = 0;      // integer, boolean
    std::vector<value> elements;  // array, map (2 per pair)

    bool is_error() const { return type == kind::error; }
    bool is_null() const { return type == kind::null; }
    bool is_string() const { return type == kind::simple_string || type == kind::bulk_string; }
    bool is_array() const { return type == kind::array; }
};

struct limits {
    std::size_t max_bulk = 512u * 1024 * 1024;  // bytes in one bulk string (Redis' own proto-max-bulk-len)
    std::size_t max_depth = 32;                 // nested aggregates
    std::size_t max_aggregate = 1u << 20;       // elements announced by one array/map/set header
    std::size_t max_elements = 4u << 20;        // values in one reply, all levels together
    std::size_t max_line = 64 * 1024;           // a simple string, error, integer or length line
};

enum class errc {
    bad_type_byte = 1,    // the first byte of a value is not a RESP type
    bad_length,           // a length that is not a decimal integer, or negative other than -1
    length_too_large,     // a length beyond the limits
    too_deep,             // aggregates nested beyond max_depth
    too_many_elements,    // more values in one reply than max_elements
    missing_crlf,         // a line or bulk not ended by \r\n
    bad_integer,          // an integer reply that is not a 64-bit decimal
    line_too_long,        // no \r\n within max_line bytes
    bad_value,            // a malformed RESP3 boolean or double
};

const char* errc_name(errc e);

class protocol_error : public std::runtime_error {
public:
    protocol_error(errc code, std::size_t offset, const std::string& what);
    errc code() const { return code_; }
    std::size_t offset() const { return offset_; }  // byte where the problem was found

private:
    errc code_;
    std::size_t offset_;
};

// One complete reply and the bytes it took.
struct decoded {
    value reply;
    std::size_t consumed = 0;
};

// Decodes the reply at the start of `in`. nullopt: `in` holds only part of
// a reply (read more, call again with the longer buffer). Throws
// protocol_error when the bytes cannot be a valid reply.
std::optional<decoded> decode(std::string_view in, const limits& lim = {});

// Appends one command (*N\r\n then $len\r\narg\r\n per argument).
void append_command(std::string& out, const std::vector<std::string>& args);
void append_command(std::string& out, std::span<const std::string_view> args);
std::string encode_command(const std::vector<std::string>& args);

// A reply as text for logs and test messages (bulk bytes escaped, long ones cut).
std::string describe(const value& v);

}  // namespace solgrid::redis
