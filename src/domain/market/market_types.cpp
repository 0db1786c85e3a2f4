#include "domain/market/market_types.hpp"

namespace solgrid::domain::market {

std::optional<account_id> account_from(std::string_view holder) {
    if (holder.size() == 1 && holder[0] >= 'A' && holder[0] <= 'D') return holder[0];
    if (holder == "pool") return pool_account;
    return std::nullopt;
}

std::string holder_name(account_id a) { return a == pool_account ? std::string("pool") : std::string(1, a); }

std::string_view to_string(record_status s) {
    switch (s) {
        case record_status::open: return "open";
        case record_status::filled: return "filled";
        case record_status::cancelled: return "cancelled";
        case record_status::expired: return "expired";
    }
    return "open";
}

std::optional<record_status> record_status_from(std::string_view s) {
    for (auto v : {record_status::open, record_status::filled, record_status::cancelled, record_status::expired})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

std::string_view to_string(end_reason r) {
    switch (r) {
        case end_reason::none: return "";
        case end_reason::user: return "user";
        case end_reason::ioc: return "ioc";
        case end_reason::self_trade: return "self_trade";
        case end_reason::expired: return "expired";
        case end_reason::insufficient_energy: return "insufficient_energy";
        case end_reason::repriced: return "repriced";
    }
    return "";
}

end_reason end_reason_from(std::string_view s) {
    for (auto v : {end_reason::user, end_reason::ioc, end_reason::self_trade, end_reason::expired,
                   end_reason::insufficient_energy, end_reason::repriced})
        if (to_string(v) == s) return v;
    return end_reason::none;
}

std::string_view to_string(side s) { return s == side::buy ? "buy" : "sell"; }
std::string_view to_string(time_in_force t) { return t == time_in_force::ioc ? "ioc" : "gtc"; }

}  // namespace solgrid::domain::market
