// conf.d params checked against a plugin's declared table. SPDX-License-Identifier: MIT
#pragma once

#include "checks/host_context.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

/// Reports unknown keys, wrong types, values outside their declared range or choices
/// (ABI 1.1) and missing required keys through `context` before the plugin sees anything.
/// A plugin without a declared table is left to check its own parameters.
void validate_params(const CheckDefinition &check, const PluginLibrary &plugin,
                     CreateContext &context);

} // namespace vitals
