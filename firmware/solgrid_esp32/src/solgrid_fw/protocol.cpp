#include "protocol.h"

#include "json_scan.h"

#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace solgrid_fw {
namespace {

const char household_name[household_count] = {'A', 'B', 'C', 'D'};

// Appends formatted text; once anything does not fit, the writer stays failed.
struct writer {
    char* buf;
    std::size_t cap;
    std::size_t len = 0;
    bool ok = true;

    void add(const char* fmt, ...) {
        if (!ok) return;
        va_list args;
        va_start(args, fmt);
        int n = std::vsnprintf(buf + len, cap - len, fmt, args);
        va_end(args);
        if (n < 0 || static_cast<std::size_t>(n) >= cap - len) {
            ok = false;
            return;
        }
        len += static_cast<std::size_t>(n);
    }
    void relays(const relay_set& r) {
        add("{");
        for (int i = 0; i < household_count; ++i)
            add("%s\"%c\":%s", i ? "," : "", household_name[i], r.on[i] ? "true" : "false");
        add("}");
    }
    // Non-finite numbers are not JSON; a broken sensor reads as 0.
    void number(float v, int decimals) { add("%.*f", decimals, std::isfinite(v) ? static_cast<double>(v) : 0.0); }
    int result() const { return ok ? static_cast<int>(len) : -1; }
};

bool begin(writer& w) {
    if (!w.buf || w.cap == 0) return false;
    w.buf[0] = '\0';
    return true;
}

bool token68_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/';
}

bool valid_token(const char* t, std::size_t len) {
    if (len == 0 || len > max_device_token) return false;
    std::size_t i = 0;
    while (i < len && token68_char(t[i])) ++i;
    if (i == 0) return false;
    while (i < len && t[i] == '=') ++i;
    return i == len;
}

}  // namespace

int build_authorization(char* buf, std::size_t cap, const char* token) {
    std::size_t len = token ? std::strlen(token) : 0;
    if (buf && cap > 0) buf[0] = '\0';
    if (len == 0) return 0;
    if (!valid_token(token, len)) return -1;
    writer w{buf, cap};
    if (!begin(w)) return -1;
    w.add("Bearer %s", token);
    return w.result();
}

int build_reading_json(char* buf, std::size_t cap, const reading& r, const relay_set& relays,
                       std::int64_t relay_version, const double* meter_wh) {
    writer w{buf, cap};
    if (!begin(w)) return -1;
    int soc = r.soc < 0 ? 0 : (r.soc > 100 ? 100 : r.soc);
    w.add("{\"soc\":%d,\"solar_w\":", soc);
    w.number(r.solar_w < 0 ? 0.0f : r.solar_w, 1);
    w.add(",\"lux\":");
    w.number(r.lux < 0 ? 0.0f : r.lux, 0);
    w.add(",\"relays\":");
    w.relays(relays);
    w.add(",\"relay_version\":%" PRId64, relay_version);
    if (meter_wh) {
        // The server takes counters up to 1e12 Wh; a broken one is left out (it is estimated then).
        w.add(",\"meter_wh\":{");
        bool first = true;
        for (int i = 0; i < household_count; ++i) {
            const double v = meter_wh[i];
            if (!std::isfinite(v) || v < 0 || v > 1e12) continue;
            w.add("%s\"%c\":%.3f", first ? "" : ",", household_name[i], v);
            first = false;
        }
        w.add("}");
    }
    w.add("}");
    return w.result();
}

int build_status_json(char* buf, std::size_t cap, const device_report& d) {
    writer w{buf, cap};
    if (!begin(w)) return -1;
    w.add("{\"device\":\"%s\",\"firmware\":\"%s\",\"uptime_s\":%" PRIu32 ",\"relays\":", d.device, d.firmware,
          d.uptime_s);
    w.relays(d.relays);
    w.add(",\"relay_version\":%" PRId64 ",\"soc\":%d,\"battery_v\":", d.relay_version, d.last.soc);
    w.number(d.battery_v, 2);
    w.add(",\"solar_w\":");
    w.number(d.last.solar_w, 1);
    w.add(",\"lux\":");
    w.number(d.last.lux, 0);
    w.add(",\"wifi_rssi\":%d,\"watchdog_tripped\":%s,\"backend_silent_s\":%" PRIu32 ",\"posts_ok\":%" PRIu32
          ",\"posts_failed\":%" PRIu32 "}",
          d.wifi_rssi, d.watchdog_tripped ? "true" : "false", d.backend_silent_s, d.posts_ok, d.posts_failed);
    return w.result();
}

int build_relay_reply_json(char* buf, std::size_t cap, bool applied, const relay_set& relays,
                           std::int64_t relay_version) {
    writer w{buf, cap};
    if (!begin(w)) return -1;
    w.add("{\"success\":true,\"applied\":%s,\"relays\":", applied ? "true" : "false");
    w.relays(relays);
    w.add(",\"relay_version\":%" PRId64 "}", relay_version);
    return w.result();
}

command_error parse_relay_command(const char* body, std::size_t len, const relay_set& current,
                                  relay_command& out, const char** problem) {
    auto fail = [&](command_error e, const char* why) {
        if (problem) *problem = why;
        return e;
    };
    if (!json_valid(body, len)) return fail(command_error::bad_json, "body must be valid JSON");
    json_span whole{body, len};
    // Skip leading spaces to see the first character.
    while (whole.n && (*whole.p == ' ' || *whole.p == '\n' || *whole.p == '\r' || *whole.p == '\t')) ++whole.p, --whole.n;
    if (!json_is_object(whole)) return fail(command_error::not_an_object, "body must be a JSON object");

    relay_command cmd;
    cmd.state = current;
    bool named = false;
    for (int i = 0; i < household_count; ++i) {
        char key[2] = {household_name[i], '\0'};
        json_span v;
        if (!json_find(body, len, key, v)) continue;
        bool on = false;
        if (!json_bool(v, on)) return fail(command_error::bad_value, "A, B, C and D must be true or false");
        cmd.state.on[i] = on;
        named = true;
    }
    json_span v;
    if (json_find(body, len, "version", v)) {
        if (!json_int64(v, cmd.version) || cmd.version < 0)
            return fail(command_error::bad_version, "version must be an integer >= 0");
        cmd.has_version = true;
    }
    if (!named) return fail(command_error::nothing_named, "body must name at least one of A, B, C, D");
    out = cmd;
    if (problem) *problem = "";
    return command_error::none;
}

bool parse_desired_from_reply(const char* body, std::size_t len, relay_command& out) {
    relay_command cmd;
    for (int i = 0; i < household_count; ++i) {
        char path[16];
        std::snprintf(path, sizeof path, "data.relays.%c", household_name[i]);
        json_span v;
        if (!json_find(body, len, path, v) || !json_bool(v, cmd.state.on[i])) return false;
    }
    json_span v;
    if (json_find(body, len, "data.relay_version", v)) {
        if (!json_int64(v, cmd.version) || cmd.version < 0) return false;
        cmd.has_version = true;
    }
    out = cmd;
    return true;
}

}  // namespace solgrid_fw
