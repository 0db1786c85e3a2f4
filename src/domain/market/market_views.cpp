// The market service's reads from memory (accounts, book, GET /api/market)
// and the JSON shapes of orders, trades and accounts.
#include "domain/market/market_state.hpp"

namespace solgrid::domain::market {

using namespace detail;

// ---- reads -----------------------------------------------------------------

account_view market_service::view_locked(const std::string& holder) const {
    account_view v;
    v.holder = holder;
    if (auto it = st_->holders.find(holder); it != st_->holders.end()) {
        v.energy_wh = it->second.energy;
        v.money = it->second.money;
        v.reserved_energy_wh = it->second.reserved_energy;
        v.reserved_money = it->second.reserved_money;
    }
    if (holder.size() == 1) {
        std::size_t i = static_cast<std::size_t>(holder[0] - 'A');
        v.relay_blocked = block_locked(i);
        v.exempt = i < 4 && s_.exempt[i];
    }
    v.credit_limit = s_.credit_limit;
    return v;
}

std::vector<account_view> market_service::accounts() const {
    std::lock_guard lk(mutex_);
    std::vector<account_view> out;
    for (const auto& h : holders) out.push_back(view_locked(h));
    return out;
}

std::optional<std::int64_t> market_service::last_price() const {
    std::lock_guard lk(mutex_);
    return st_->last_price;
}

boost::json::object market_service::book_json_locked(std::size_t levels) const {
    auto side_json = [](const std::vector<level>& ls) {
        boost::json::array a;
        for (const auto& l : ls) a.push_back(boost::json::object{{"price", l.price}, {"energy_wh", l.energy_wh},
                                                                 {"orders", l.orders}});
        return a;
    };
    boost::json::object out;
    out["book"] = boost::json::object{{"bids", side_json(st_->book.bids(levels))},
                                      {"asks", side_json(st_->book.asks(levels))}};
    if (st_->last_price) out["last_price"] = *st_->last_price;
    else out["last_price"] = nullptr;
    return out;
}

boost::json::object market_service::book_json(std::size_t levels) const {
    std::lock_guard lk(mutex_);
    return book_json_locked(levels);
}

boost::json::object market_service::market_json() const {
    std::lock_guard lk(mutex_);
    auto out = book_json_locked(s_.book_levels);
    out["currency"] = s_.currency;
    out["price_floor"] = s_.price_floor;
    out["price_ceiling"] = s_.price_ceiling;
    boost::json::object shares;
    for (const auto& h : holders) {
        auto it = s_.shares.find(h);
        shares[h] = it == s_.shares.end() ? 0 : it->second;
    }
    out["shares"] = std::move(shares);
    out["credit_limit"] = s_.credit_limit;
    out["enforce"] = s_.enforce;
    out["soc_floor"] = s_.soc_floor;
    if (s_.pool_prices)
        out["pool_prices"] = boost::json::object{{"at_empty", s_.pool_prices->first}, {"at_full", s_.pool_prices->second}};
    return out;
}

boost::json::object market_service::to_json(const order_record& o) {
    boost::json::object j{{"id", o.id},
                          {"household", o.household},
                          {"side", to_string(o.side)},
                          {"energy_wh", o.energy_wh},
                          {"filled_wh", o.filled_wh},
                          {"price", o.price},
                          {"tif", to_string(o.tif)},
                          {"status", to_string(o.status)}};
    if (o.reason == end_reason::none) j["reason"] = nullptr;
    else j["reason"] = to_string(o.reason);
    if (o.expires_at) j["expires_at"] = to_iso8601(*o.expires_at);
    else j["expires_at"] = nullptr;
    j["created_at"] = to_iso8601(o.created_at);
    j["updated_at"] = to_iso8601(o.updated_at);
    return j;
}

boost::json::object market_service::to_json(const trade_record& t) {
    return {{"id", t.id},
            {"buyer", t.buyer},
            {"seller", t.seller},
            {"energy_wh", t.energy_wh},
            {"price", t.price},
            {"amount", t.amount},
            {"buy_order_id", t.buy_order_id},
            {"sell_order_id", t.sell_order_id},
            {"at", to_iso8601(t.at)}};
}

boost::json::object market_service::to_json(const account_view& a) {
    boost::json::object j{{"energy_wh", a.energy_wh},
                          {"money", a.money},
                          {"free_energy_wh", a.free_energy_wh()},
                          {"free_money", a.money + a.credit_limit - a.reserved_money},
                          {"reserved_energy_wh", a.reserved_energy_wh},
                          {"reserved_money", a.reserved_money},
                          {"exempt", a.exempt}};
    if (a.relay_blocked) j["relay_blocked"] = *a.relay_blocked;
    else j["relay_blocked"] = nullptr;
    return j;
}

}  // namespace solgrid::domain::market
