#include "http/history_routes.hpp"

#include "common/json_text.hpp"
#include "domain/energy.hpp"
#include "http/json_response.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace solgrid::http_api {

namespace {

using domain::bucket_summary;
using domain::stored_reading;

const char* const raw_columns[] = {"timestamp", "soc", "solar_w", "lux"};
// coverage_s last, so the columns before it keep their places for existing readers.
const char* const bucket_columns[] = {"timestamp",   "samples",     "soc_avg",  "soc_min", "soc_max",   "solar_w_avg",
                                      "solar_w_max", "solar_wh",    "lux_avg",  "lux_max", "coverage_s"};

// One row as its cells (already formatted), in the column order above; an
// empty cell is an unknown value (null in JSON).
std::vector<std::string> cells(const stored_reading& r) {
    return {domain::to_iso8601(r.at), std::to_string(r.value.soc), common::number_text(r.value.solar_w),
            common::number_text(r.value.lux)};
}

std::vector<std::string> cells(const bucket_summary& b) {
    return {domain::to_iso8601(b.start), std::to_string(b.samples), common::number_text(b.soc_avg),
            std::to_string(b.soc_min),   std::to_string(b.soc_max), common::number_text(b.solar_w_avg),
            common::number_text(b.solar_w_max), common::number_text(b.solar_wh),  common::number_text(b.lux_avg),
            common::number_text(b.lux_max),     b.coverage_s ? common::number_text(*b.coverage_s) : std::string()};
}

template <class Row, std::size_t N>
void append_json_rows(std::string& out, const std::vector<Row>& rows, const char* const (&names)[N]) {
    out += '[';
    bool first = true;
    for (const auto& row : rows) {
        auto c = cells(row);
        out += first ? "{" : ",{";
        first = false;
        for (std::size_t i = 0; i < N; ++i) {
            if (i) out += ',';
            out += '"';
            out += names[i];
            out += "\":";
            if (i == 0) {
                out += '"';
                out += c[i];  // ISO-8601: nothing to escape
                out += '"';
            } else {
                out += c[i].empty() ? "null" : c[i];
            }
        }
        out += '}';
    }
    out += ']';
}

template <class Row, std::size_t N>
void append_csv(std::string& out, const std::vector<Row>& rows, const char* const (&names)[N]) {
    for (std::size_t i = 0; i < N; ++i) {
        if (i) out += ',';
        out += names[i];
    }
    out += "\r\n";
    for (const auto& row : rows) {
        auto c = cells(row);
        for (std::size_t i = 0; i < N; ++i) {
            if (i) out += ',';
            out += c[i];  // digits, '.', '-', ':', 'T', 'Z' only: never needs quoting
        }
        out += "\r\n";
    }
}

// 2025-12-01T00:00:00.000Z -> 20251201T000000Z (for file names)
std::string compact_time(domain::time_point t) {
    std::string iso = domain::to_iso8601(t), out;
    for (char ch : iso.substr(0, 19))
        if (ch != '-' && ch != ':') out += ch;
    return out + "Z";
}

bool wants_csv(const request_context& rc, const std::optional<std::string>& format) {
    if (format) return *format == "csv";
    auto accept = rc.req[http::field::accept];
    return accept.find("text/csv") != std::string_view::npos;
}

response bad_request(const request_context& rc, std::string_view message, std::string_view field) {
    return error(http::status::bad_request, message, field, rc.req.version());
}

response text(http::status status, std::string body, std::string_view type, unsigned version) {
    response res{status, version};
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}


response history_response(const request_context& rc, const domain::history_page& page, bool csv,
                          std::chrono::hours utc_offset) {
    const auto& q = page.query;
    const bool raw = q.res == domain::resolution::raw;
    std::string body;
    body.reserve(256 + (raw ? page.raw.size() * 80 : page.buckets.size() * 220));
    if (csv) {
        if (raw)
            append_csv(body, page.raw, raw_columns);
        else
            append_csv(body, page.buckets, bucket_columns);
        auto res = text(http::status::ok, std::move(body), "text/csv; charset=utf-8", rc.req.version());
        res.set(http::field::content_disposition, "attachment; filename=\"solgrid-history-" +
                                                      std::string(domain::to_string(q.res)) + "-" +
                                                      compact_time(q.from) + "-" + compact_time(q.to) + ".csv\"");
        return res;
    }
    std::size_t count = raw ? page.raw.size() : page.buckets.size();
    body += R"({"success":true,"data":{"resolution":")";
    body += domain::to_string(q.res);
    body += R"(","from":")" + domain::to_iso8601(q.from) + R"(","to":")" + domain::to_iso8601(q.to) + "\"";
    if (q.res == domain::resolution::day) body += ",\"utc_offset_hours\":" + std::to_string(utc_offset.count());
    body += ",\"count\":" + std::to_string(count) + ",\"rows\":";
    if (raw)
        append_json_rows(body, page.raw, raw_columns);
    else
        append_json_rows(body, page.buckets, bucket_columns);
    body += "}}";
    return text(http::status::ok, std::move(body), "application/json", rc.req.version());
}

}  // namespace

// Parses ?name=… as ISO-8601; sets `problem` when present but malformed,
// with a zone offset no place has, or outside the instants history can hold.
std::optional<domain::time_point> time_param(const request_context& rc, std::string_view name,
                                             std::optional<response>& problem) {
    auto v = rc.query(name);
    if (!v) return std::nullopt;
    auto t = domain::parse_iso8601_checked(*v);
    std::string shown = *v;
    // An unencoded '+' of a zone offset (…T09:00:00+09:00 typed into curl)
    // arrives as a space after form decoding.
    if (t.error == domain::time_parse_error::malformed && v->find(' ') != std::string::npos && v->size() > 19) {
        std::string fixed = *v;
        for (std::size_t i = 19; i < fixed.size(); ++i)
            if (fixed[i] == ' ') fixed[i] = '+';
        auto again = domain::parse_iso8601_checked(fixed);
        if (again.error != domain::time_parse_error::malformed) t = again, shown = fixed;
    }
    const std::string n(name), got = " (got '" + shown + "')";
    switch (t.error) {
    case domain::time_parse_error::none: return t.at;
    case domain::time_parse_error::malformed:
        problem = bad_request(rc, n + " must be an ISO-8601 time such as 2025-12-01T00:00:00Z" + got, name);
        break;
    case domain::time_parse_error::zone_offset:
        problem = bad_request(rc, n + " has a zone offset outside -14:00 to +14:00 (minutes 00-59)" + got, name);
        break;
    case domain::time_parse_error::out_of_range:
        problem = bad_request(rc, n + " must be between " + domain::accepted_time_range() + got, name);
        break;
    }
    return std::nullopt;
}

void add_history_routes(router& r, history_context ctx) {
    auto c = std::make_shared<history_context>(ctx);

    r.add(http::verb::get, "/api/data/history", [c](request_context& rc) -> asio::awaitable<response> {
        const auto now = domain::clock::now();
        std::optional<response> problem;
        auto from = time_param(rc, "from", problem);
        if (problem) co_return std::move(*problem);
        auto to = time_param(rc, "to", problem);
        if (problem) co_return std::move(*problem);
        domain::history_query q;
        q.to = to.value_or(now);
        q.from = from.value_or(q.to - std::chrono::hours(24));
        if (q.from > q.to)
            co_return bad_request(rc, "from must not be later than to", "from");
        if (auto res = rc.query("resolution")) {
            auto parsed = domain::parse_resolution(*res);
            if (!parsed) co_return bad_request(rc, "resolution must be raw, hour or day (got '" + *res + "')", "resolution");
            q.res = *parsed;
        }
        auto format = rc.query("format");
        if (format && *format != "csv" && *format != "json")
            co_return bad_request(rc, "format must be json or csv (got '" + *format + "')", "format");
        const bool csv = wants_csv(rc, format);

        try {
            auto page = co_await c->history.query(q, now);
            co_return history_response(rc, page, csv, c->history.settings().utc_offset);
        } catch (const domain::too_many_rows& e) {
            boost::json::object o{{"success", false},
                                  {"error", e.what()},
                                  {"field", "to"},
                                  {"limit", c->history.settings().max_rows}};
            co_return json(http::status::bad_request, o, rc.req.version());
        }  // storage_unavailable → 503 in router::dispatch
    });

    r.add(http::verb::get, "/api/energy/summary", [c](request_context& rc) -> asio::awaitable<response> {
        const auto now = domain::clock::now();
        const auto& settings = c->history.settings();
        boost::json::object o;
        o["battery_capacity_wh"] = c->battery_capacity_wh;
        if (auto latest = c->readings.latest()) {
            o["soc"] = latest->value.soc;
            o["battery_wh"] = domain::battery_energy_wh(latest->value.soc, c->battery_capacity_wh);
            o["last_reading_at"] = domain::to_iso8601(latest->at);
        } else {
            o["soc"] = nullptr;
            o["battery_wh"] = nullptr;
            o["last_reading_at"] = nullptr;
        }
        o["day_start"] = domain::to_iso8601(domain::floor_day(now, settings.utc_offset));
        o["utc_offset_hours"] = settings.utc_offset.count();
        auto today = co_await c->history.day_so_far(now);  // storage_unavailable → 503 in router::dispatch
        o["samples_today"] = today ? today->samples : 0;
        o["solar_wh_today"] = today ? today->solar_wh : 0.0;
        if (today) {
            o["soc_min_today"] = today->soc_min;
            o["soc_max_today"] = today->soc_max;
        } else {
            o["soc_min_today"] = nullptr;
            o["soc_max_today"] = nullptr;
        }
        co_return success(http::status::ok, "energy summary", o, rc.req.version());
    });
}

}  // namespace solgrid::http_api
