// Names of checks, groups and plugins. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

namespace vitals {

/// Names appear in URLs, file names, log lines and Prometheus label values.
inline constexpr std::size_t max_name_length = 128;

/// True for names usable as a check, group or plugin name: 1 to max_name_length
/// letters, digits, '_', '-' and '.'.
bool is_valid_name(std::string_view name);

} // namespace vitals
