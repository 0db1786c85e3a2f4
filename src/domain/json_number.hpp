// A measurement as a JSON number that reads the way people write it:
// integral values as integers (120, not 1.2E2), others as doubles.
#pragma once

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>

namespace solgrid::domain {

inline boost::json::value json_number(double x) {
    if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9007199254740992.0)
        return static_cast<std::int64_t>(x);
    return x;
}

}  // namespace solgrid::domain
