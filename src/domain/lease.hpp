// lease_store: a named, expiring lease shared by every solgrid instance on
// one database, so work that must run once (the hourly roll-up) runs on one
// instance at a time. A holder keeps the lease by renewing it before it
// expires; a dead or hung holder loses it when it expires and the next
// instance that asks takes it over. Expiry is judged by the database's clock.
// Any executor may await it; database errors surface as storage_unavailable.
#pragma once

#include "domain/ports.hpp"

#include <chrono>
#include <string>

namespace solgrid::domain {

struct lease_claim {
    bool held = false;   // `holder` (the caller) holds the lease until now + ttl
    std::string holder;  // who holds it now ("" when nobody does)
};

class lease_store {
public:
    virtual ~lease_store() = default;
    // Takes the lease `name` for `holder` if nobody holds it, its lease
    // expired, or `holder` already holds it (a renewal); it then expires
    // `ttl` from now. Atomic: of several racing callers exactly one wins.
    virtual asio::awaitable<lease_claim> try_acquire(std::string name, std::string holder,
                                                     std::chrono::milliseconds ttl) = 0;
    // Gives the lease up at once if `holder` holds it; otherwise does nothing.
    virtual asio::awaitable<void> release(std::string name, std::string holder) = 0;
};

}  // namespace solgrid::domain
