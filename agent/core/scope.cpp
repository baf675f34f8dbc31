// SPDX-License-Identifier: MIT
#include "core/scope.hpp"

namespace vitals {

std::string_view to_string(Scope scope) {
    switch (scope) {
    case Scope::none:
        return "none";
    case Scope::probe:
        return "probe";
    case Scope::read:
        return "read";
    case Scope::write:
        return "write";
    }
    return "?";
}

std::optional<Scope> parse_scope(std::string_view text) {
    for (const Scope scope : {Scope::none, Scope::probe, Scope::read, Scope::write})
        if (to_string(scope) == text) return scope;
    return std::nullopt;
}

} // namespace vitals
