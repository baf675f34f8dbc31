// Plugin parameter values: TOML nodes or declared defaults, by ABI type. SPDX-License-Identifier:
// MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "core/duration.hpp"

namespace vitals {

using ParamValue =
    std::variant<std::string, std::int64_t, double, bool, Duration, std::vector<std::string>>;

/// "a string", "an integer", ... for a vitals_param_type.
std::string_view param_type_name(std::int32_t type);

/// Converts a conf.d value to the ABI type; on failure returns the reason.
std::variant<ParamValue, std::string> param_from_node(const toml::node &node, std::int32_t type);

/// Converts a plugin-declared default text; on failure returns the reason.
std::variant<ParamValue, std::string> param_from_text(std::string_view text, std::int32_t type);

} // namespace vitals
