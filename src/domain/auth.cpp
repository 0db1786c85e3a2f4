#include "domain/auth.hpp"

namespace solgrid::domain {

std::string_view to_string(role r) {
    switch (r) {
        case role::admin: return "admin";
        case role::operator_: return "operator";
        case role::household: return "household";
        case role::viewer: return "viewer";
    }
    return "viewer";
}

std::optional<role> role_from(std::string_view name) {
    if (name == "admin") return role::admin;
    if (name == "operator") return role::operator_;
    if (name == "household") return role::household;
    if (name == "viewer") return role::viewer;
    return std::nullopt;
}

std::string_view to_string(token_kind k) { return k == token_kind::device ? "device" : "user"; }

}  // namespace solgrid::domain
