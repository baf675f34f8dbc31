// Plugin parameter values by ABI type, and the declared default texts read as them.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/duration.hpp"

namespace vitals {

using ParamValue =
    std::variant<std::string, std::int64_t, double, bool, Duration, std::vector<std::string>>;

/// "a string", "an integer", ... for a vitals_param_type.
std::string_view param_type_name(std::int32_t type);

/// Converts a plugin-declared default text; on failure returns the reason. Here, with the
/// plugin's table, because the loader checks a default against its own declared limits.
std::variant<ParamValue, std::string> param_from_text(std::string_view text, std::int32_t type);

} // namespace vitals
