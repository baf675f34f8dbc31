// SPDX-License-Identifier: MIT
#include "checks/lifecycle_context.hpp"

namespace vitals {

std::string LibraryContext::reason() const {
    const auto joined = [&](int32_t least) {
        std::string text;
        for (const auto &line : lines_)
            if (line.level >= least) text += (text.empty() ? "" : "; ") + line.text;
        return text;
    };
    auto serious = joined(VITALS_LOG_WARNING);
    return serious.empty() ? joined(VITALS_LOG_DEBUG) : serious;
}

} // namespace vitals
