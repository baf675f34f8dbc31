// Plugin parameter values from conf.d's TOML nodes, by ABI type. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "loader/param_text.hpp"

namespace vitals {

/// Converts a conf.d value to the ABI type; on failure returns the reason.
std::variant<ParamValue, std::string> param_from_node(const toml::node &node, std::int32_t type);

} // namespace vitals
