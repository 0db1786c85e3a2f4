// The market's REST API (issue 13; docs/market.md "REST API"): the book,
// orders (place, cancel, list), trades, accounts and statements, over
// domain::market::market_service. Who may do what: a household user trades
// and sees orders for its own household only; admin/operator name any
// household (or pool); viewers read. With AUTH=off everyone is an operator.
#pragma once

#include "domain/market/market_service.hpp"
#include "http/router.hpp"

namespace solgrid::http_api {

struct market_context {
    domain::market::market_service& market;
    std::chrono::hours utc_offset{0};  // UTC_OFFSET_HOURS: where a statement's day starts
};

// The body of POST /api/market/orders as the market reads it, or which
// field is wrong (strict JSON; unknown fields refused).
struct parsed_order {
    std::optional<domain::market::order_request> value;
    std::optional<std::string> household;  // as named in the body, if it was
    domain::rule_violation problem;
};
parsed_order parse_order_body(std::string_view body);

void add_market_routes(router& r, market_context ctx);

}  // namespace solgrid::http_api
