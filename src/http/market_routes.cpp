#include "http/market_routes.hpp"

#include "common/json_parse.hpp"
#include "domain/auth_service.hpp"
#include "http/history_routes.hpp"
#include "http/json_response.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <map>

namespace solgrid::http_api {

namespace market = domain::market;

namespace {

parsed_order bad(std::string field, std::string message) {
    parsed_order p;
    p.problem = {std::move(field), std::move(message)};
    return p;
}

// A whole number from a JSON number (500 and 500.0 count; 500.5 does not).
std::optional<std::int64_t> whole(const boost::json::value& v) {
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64()) {
        if (v.as_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(v.as_uint64());
    }
    if (v.is_double()) {
        double d = v.as_double();
        if (d != d || d < -9.0e15 || d > 9.0e15 || static_cast<double>(static_cast<std::int64_t>(d)) != d)
            return std::nullopt;
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

response fail(const request_context& rc, http::status s, std::string_view message, std::string_view field = {}) {
    return error(s, message, field, rc.req.version());
}

response refused(const request_context& rc, const market::refusal& r) {
    switch (r.kind) {
    case market::refusal::code::bad_field: return fail(rc, http::status::bad_request, r.message, r.field);
    case market::refusal::code::unknown_order: return fail(rc, http::status::not_found, r.message, r.field);
    case market::refusal::code::not_open:
    case market::refusal::code::insufficient_energy:
    case market::refusal::code::insufficient_money: return fail(rc, http::status::conflict, r.message, r.field);
    }
    return fail(rc, http::status::bad_request, r.message, r.field);
}

bool operates(const request_context& rc) {
    if (!rc.who) return true;  // AUTH=off: the seed's open lab
    return rc.who->role_ == domain::role::admin || rc.who->role_ == domain::role::operator_;
}

// The household a household user is bound to ("A".."D"), if the caller is one.
std::optional<std::string> own_household(const request_context& rc) {
    if (rc.who && rc.who->role_ == domain::role::household && rc.who->household)
        return std::string(1, *rc.who->household);
    return std::nullopt;
}

bool valid_holder(const std::string& h) { return market::account_from(h).has_value(); }

// ?household= for the reads: a household user gets its own (asking for
// another's is 403); others may name any or none.
std::optional<response> household_filter(const request_context& rc, std::optional<std::string>& out) {
    auto q = rc.query("household");
    if (q && !valid_holder(*q))
        return fail(rc, http::status::bad_request, "household must be one of A, B, C, D or pool", "household");
    if (auto own = own_household(rc)) {
        if (q && *q != *own)
            return fail(rc, http::status::forbidden, "a household user sees only its own household's orders and bill",
                        "household");
        out = own;
        return std::nullopt;
    }
    out = q;
    return std::nullopt;
}

std::optional<response> time_range(const request_context& rc, domain::time_point& from, domain::time_point& to,
                                   std::chrono::hours default_span) {
    std::optional<response> problem;
    auto f = time_param(rc, "from", problem);
    if (problem) return problem;
    auto t = time_param(rc, "to", problem);
    if (problem) return problem;
    to = t.value_or(domain::clock::now() + std::chrono::seconds(1));
    from = f.value_or(to - default_span);
    if (from > to) return fail(rc, http::status::bad_request, "from must not be later than to", "from");
    return std::nullopt;
}

std::optional<std::size_t> limit_param(const request_context& rc, std::size_t dflt, std::size_t max,
                                       std::optional<response>& problem) {
    auto v = rc.query("limit");
    if (!v) return dflt;
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || p != v->data() + v->size() || n == 0 || n > max) {
        problem = fail(rc, http::status::bad_request, "limit must be a whole number from 1 to " + std::to_string(max),
                       "limit");
        return std::nullopt;
    }
    return n;
}

bool wants_csv(const request_context& rc, std::optional<response>& problem) {
    auto f = rc.query("format");
    if (!f) return false;
    if (*f == "csv") return true;
    if (*f != "json") problem = fail(rc, http::status::bad_request, "format must be json or csv", "format");
    return false;
}

response csv_response(const request_context& rc, std::string body, const std::string& filename) {
    response res{http::status::ok, rc.req.version()};
    res.set(http::field::content_type, "text/csv; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set(http::field::content_disposition, "attachment; filename=\"" + filename + "\"");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

// The local calendar day (UTC_OFFSET_HOURS) of an instant, as YYYY-MM-DD.
std::string day_of(domain::time_point t, std::chrono::hours offset) { return domain::to_iso8601(t + offset).substr(0, 10); }

struct statement_day {
    std::int64_t solar_wh = 0, consumed_wh = 0, estimated_wh = 0, bought_wh = 0, sold_wh = 0, spent = 0, earned = 0,
                 adjusted_wh = 0, adjusted_money = 0;
    void add(const market::posting_row& p) {
        switch (p.kind) {
        case market::entry_kind::solar_credit: solar_wh += p.energy_wh; break;
        case market::entry_kind::consumption_debit:
            consumed_wh -= p.energy_wh;
            if (p.estimated) estimated_wh -= p.energy_wh;
            break;
        case market::entry_kind::trade:
            if (p.energy_wh > 0) bought_wh += p.energy_wh;
            else sold_wh -= p.energy_wh;
            if (p.money < 0) spent -= p.money;
            else earned += p.money;
            break;
        case market::entry_kind::adjustment:
            adjusted_wh += p.energy_wh;
            adjusted_money += p.money;
            break;
        }
    }
    void add(const statement_day& o) {
        solar_wh += o.solar_wh, consumed_wh += o.consumed_wh, estimated_wh += o.estimated_wh;
        bought_wh += o.bought_wh, sold_wh += o.sold_wh, spent += o.spent, earned += o.earned;
        adjusted_wh += o.adjusted_wh, adjusted_money += o.adjusted_money;
    }
    boost::json::object json() const {
        return {{"solar_wh", solar_wh}, {"consumed_wh", consumed_wh}, {"estimated_wh", estimated_wh},
                {"bought_wh", bought_wh}, {"sold_wh", sold_wh},         {"spent", spent},
                {"earned", earned},     {"adjusted_wh", adjusted_wh}, {"adjusted_money", adjusted_money}};
    }
    std::string csv() const {
        std::string s;
        for (auto v : {solar_wh, consumed_wh, estimated_wh, bought_wh, sold_wh, spent, earned, adjusted_wh,
                       adjusted_money})
            s += "," + std::to_string(v);
        return s;
    }
};

}  // namespace

parsed_order parse_order_body(std::string_view body) {
    auto parsed = common::parse_json_strict(body);
    if (!parsed.value) return bad(parsed.duplicate_key, "body must be a JSON object: " + parsed.error);
    if (!parsed.value->is_object()) return bad("", "body must be a JSON object");
    const auto& o = parsed.value->get_object();
    static const std::array<std::string_view, 6> known{"side", "energy_wh", "price", "household", "tif", "expires_at"};
    for (const auto& kv : o)
        if (std::find(known.begin(), known.end(), std::string_view(kv.key())) == known.end())
            return bad(std::string(kv.key()), "unknown field " + std::string(kv.key()) +
                                                  " (expected side, energy_wh, price, household, tif, expires_at)");
    market::order_request r;
    parsed_order out;
    const auto* side = o.if_contains("side");
    if (!side) return bad("side", "side is required: buy or sell");
    if (!side->is_string() || (side->as_string() != "buy" && side->as_string() != "sell"))
        return bad("side", "side must be buy or sell");
    r.side = side->as_string() == "buy" ? market::side::buy : market::side::sell;
    const auto* energy = o.if_contains("energy_wh");
    if (!energy) return bad("energy_wh", "energy_wh is required (whole Wh > 0)");
    auto e = whole(*energy);
    if (!e || *e <= 0 || *e > market::max_energy_wh)
        return bad("energy_wh", "energy_wh must be a whole number of Wh from 1 to " + std::to_string(market::max_energy_wh));
    r.energy_wh = *e;
    const auto* price = o.if_contains("price");
    if (!price) return bad("price", "price is required (whole minor units per kWh)");
    auto p = whole(*price);
    if (!p || *p < 0) return bad("price", "price must be a whole number >= 0 (minor units per kWh)");
    r.price = *p;
    if (const auto* h = o.if_contains("household")) {
        if (!h->is_string() || !valid_holder(std::string(h->as_string())))
            return bad("household", "household must be one of A, B, C, D or pool");
        out.household = std::string(h->as_string());
    }
    if (const auto* t = o.if_contains("tif")) {
        if (!t->is_string() || (t->as_string() != "gtc" && t->as_string() != "ioc"))
            return bad("tif", "tif must be gtc or ioc");
        r.tif = t->as_string() == "ioc" ? market::time_in_force::ioc : market::time_in_force::gtc;
    }
    if (const auto* x = o.if_contains("expires_at"); x && !x->is_null()) {
        if (!x->is_string()) return bad("expires_at", "expires_at must be an ISO-8601 time such as 2026-12-01T18:00:00Z");
        auto t = domain::parse_iso8601_checked(std::string_view(x->as_string()));
        if (t.error != domain::time_parse_error::none)
            return bad("expires_at", "expires_at must be an ISO-8601 time such as 2026-12-01T18:00:00Z");
        r.expires_at = t.at;
    }
    out.value = r;
    return out;
}

void add_market_routes(router& r, market_context ctx) {
    auto c = std::make_shared<market_context>(ctx);

    r.add(http::verb::get, "/api/market", [c](request_context& rc) -> asio::awaitable<response> {
        auto fresh = c->market.sync();  // another instance may have changed the book (one SELECT)
        co_await std::move(fresh);
        co_return json(http::status::ok, c->market.market_json(), rc.req.version());
    });

    r.add(
        http::verb::post, "/api/market/orders",
        [c](request_context& rc) -> asio::awaitable<response> {
            auto parsed = parse_order_body(rc.req.body());
            if (!parsed.value) co_return fail(rc, http::status::bad_request, parsed.problem.message, parsed.problem.field);
            auto req = *parsed.value;
            if (auto own = own_household(rc)) {
                if (parsed.household && *parsed.household != *own)
                    co_return fail(rc, http::status::forbidden,
                                   "household " + *own + " may place orders for itself only", "household");
                req.household = *own;
            } else if (operates(rc)) {
                if (!parsed.household)
                    co_return fail(rc, http::status::bad_request,
                                   "household is required: name the household (A-D) or pool to trade for",
                                   "household");
                req.household = *parsed.household;
            } else {
                co_return fail(rc, http::status::forbidden, "the viewer role may not trade");
            }
            auto op = c->market.place(std::move(req));
            auto out = co_await std::move(op);
            if (out.refused) co_return refused(rc, *out.refused);
            boost::json::array trades;
            for (const auto& t : out.trades) trades.push_back(market::market_service::to_json(t));
            co_return json(http::status::created,
                           boost::json::object{{"order", market::market_service::to_json(out.order)},
                                               {"trades", std::move(trades)}},
                           rc.req.version());
        },
        access::user);

    r.add(
        http::verb::delete_, "/api/market/orders/{}",
        [c](request_context& rc) -> asio::awaitable<response> {
            std::int64_t id = 0;
            const auto& text = rc.params.at(0);
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
            if (ec != std::errc{} || p != text.data() + text.size() || id <= 0)
                co_return fail(rc, http::status::bad_request, "order id must be a whole number > 0", "id");
            std::optional<std::string> only;
            if (auto own = own_household(rc)) only = own;
            else if (!operates(rc)) co_return fail(rc, http::status::forbidden, "the viewer role may not trade");
            auto op = c->market.cancel(id, only);
            auto out = co_await std::move(op);
            if (out.refused) co_return refused(rc, *out.refused);
            co_return json(http::status::ok, boost::json::object{{"order", market::market_service::to_json(out.order)}},
                           rc.req.version());
        },
        access::user);

    r.add(
        http::verb::get, "/api/market/orders",
        [c](request_context& rc) -> asio::awaitable<response> {
            std::optional<std::string> household;
            if (auto p = household_filter(rc, household)) co_return std::move(*p);
            auto status = rc.query("status").value_or("open");
            if (status != "open" && status != "all")
                co_return fail(rc, http::status::bad_request, "status must be open or all", "status");
            std::optional<response> problem;
            auto limit = limit_param(rc, 500, 5000, problem);
            if (problem) co_return std::move(*problem);
            auto op = c->market.store().orders(household, status == "open", *limit);
            auto rows = co_await std::move(op);
            boost::json::array orders;
            for (const auto& o : rows) orders.push_back(market::market_service::to_json(o));
            co_return json(http::status::ok, boost::json::object{{"orders", std::move(orders)}}, rc.req.version());
        },
        access::user);

    r.add(http::verb::get, "/api/market/trades", [c](request_context& rc) -> asio::awaitable<response> {
        auto q = rc.query("household");
        if (q && !valid_holder(*q))
            co_return fail(rc, http::status::bad_request, "household must be one of A, B, C, D or pool", "household");
        market::trade_query tq;
        tq.household = q;
        if (auto p = time_range(rc, tq.from, tq.to, std::chrono::hours(24 * 30))) co_return std::move(*p);
        std::optional<response> problem;
        auto limit = limit_param(rc, 1000, 100000, problem);
        if (problem) co_return std::move(*problem);
        bool csv = wants_csv(rc, problem);
        if (problem) co_return std::move(*problem);
        tq.limit = *limit;
        auto op = c->market.store().trades(tq);
        auto rows = co_await std::move(op);
        if (csv) {
            std::string body = "id,at,buyer,seller,energy_wh,price,amount,buy_order_id,sell_order_id\r\n";
            for (const auto& t : rows)
                body += std::to_string(t.id) + "," + domain::to_iso8601(t.at) + "," + t.buyer + "," + t.seller + "," +
                        std::to_string(t.energy_wh) + "," + std::to_string(t.price) + "," + std::to_string(t.amount) +
                        "," + std::to_string(t.buy_order_id) + "," + std::to_string(t.sell_order_id) + "\r\n";
            co_return csv_response(rc, std::move(body), "solgrid-trades.csv");
        }
        boost::json::array trades;
        for (const auto& t : rows) trades.push_back(market::market_service::to_json(t));
        co_return json(http::status::ok, boost::json::object{{"trades", std::move(trades)}}, rc.req.version());
    });

    r.add(http::verb::get, "/api/market/accounts", [c](request_context& rc) -> asio::awaitable<response> {
        auto fresh = c->market.sync();
        co_await std::move(fresh);
        boost::json::object accounts;
        for (const auto& a : c->market.accounts()) accounts[a.holder] = market::market_service::to_json(a);
        co_return json(http::status::ok,
                       boost::json::object{{"currency", c->market.settings().currency}, {"accounts", std::move(accounts)}},
                       rc.req.version());
    });

    r.add(
        http::verb::get, "/api/market/statement",
        [c](request_context& rc) -> asio::awaitable<response> {
            std::optional<std::string> household;
            if (auto p = household_filter(rc, household)) co_return std::move(*p);
            if (!household)
                co_return fail(rc, http::status::bad_request, "household is required (A-D or pool)", "household");
            domain::time_point from, to;
            if (auto p = time_range(rc, from, to, std::chrono::hours(24 * 31))) co_return std::move(*p);
            if (to - from > std::chrono::hours(24 * 400))
                co_return fail(rc, http::status::bad_request, "a statement covers at most 400 days", "from");
            std::optional<response> problem;
            bool csv = wants_csv(rc, problem);
            if (problem) co_return std::move(*problem);
            auto op = c->market.store().postings(*household, from, to);
            auto rows = co_await std::move(op);
            std::map<std::string, statement_day> days;
            statement_day totals;
            for (const auto& p : rows) days[day_of(p.at, c->utc_offset)].add(p);
            for (const auto& [d, v] : days) totals.add(v);
            if (csv) {
                std::string body =
                    "day,solar_wh,consumed_wh,estimated_wh,bought_wh,sold_wh,spent,earned,adjusted_wh,adjusted_money\r\n";
                for (const auto& [d, v] : days) body += d + v.csv() + "\r\n";
                body += "total" + totals.csv() + "\r\n";
                co_return csv_response(rc, std::move(body), "solgrid-statement-" + *household + ".csv");
            }
            boost::json::array list;
            for (const auto& [d, v] : days) {
                auto j = v.json();
                j["day"] = d;
                list.push_back(std::move(j));
            }
            co_return json(http::status::ok,
                           boost::json::object{{"household", *household},
                                               {"currency", c->market.settings().currency},
                                               {"from", domain::to_iso8601(from)},
                                               {"to", domain::to_iso8601(to)},
                                               {"utc_offset_hours", c->utc_offset.count()},
                                               {"days", std::move(list)},
                                               {"totals", totals.json()}},
                           rc.req.version());
        },
        access::user);
}

}  // namespace solgrid::http_api
