// A plugin parameter's declared range and choices (ABI 1.1). SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vitals/plugin.h>

#include "loader/param_text.hpp"

namespace vitals {

/// The most choices one parameter may list: a table without its NULL end is refused
/// rather than read on into whatever follows it.
inline constexpr std::size_t max_param_choices = 256;

/// Why the host cannot honour `spec`'s declared limits and choices ("has a minimum
/// greater than its maximum (10 > 5)"), or nullopt. Judged at load, so that a plugin
/// whose table contradicts itself is refused once instead of refusing every check.
std::optional<std::string> declared_limits_problem(const vitals_param_spec &spec);

/// Why `value` breaks `spec`'s declared range or choices, as conf.d errors say it
/// ("expected an integer from 1 to 65535, got 70000"), or nullopt. The value itself is
/// left out for a secret parameter. `spec` must have passed declared_limits_problem().
std::optional<std::string> limits_violation(const vitals_param_spec &spec, const ParamValue &value);

/// `spec`'s choices, in order; empty when it declares none.
std::vector<std::string_view> param_choices(const vitals_param_spec &spec);

/// The declared range in words, in the type's own unit ("from 1 to 65535", "at least 1s",
/// "at most 0.5"); empty when there is none.
std::string range_text(const vitals_param_spec &spec);

} // namespace vitals
