// SPDX-License-Identifier: MIT
#include "checks/param_validation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/param_values.hpp"
#include "loader/param_limits.hpp"

namespace vitals {
namespace {

std::vector<std::string_view> declared_keys(const PluginLibrary &plugin) {
    std::vector<std::string_view> keys;
    for (const auto &spec : plugin.params())
        keys.emplace_back(spec.key);
    return keys;
}

} // namespace

void validate_params(const CheckDefinition &check, const PluginLibrary &plugin,
                     CreateContext &context) {
    if (!plugin.descriptor().params) return; // the plugin declared nothing: its getters check types
    for (const auto &[key, node] : *check.params) {
        const vitals_param_spec *spec = plugin.find_param(key.str());
        if (!spec) {
            context.error(
                key.str(),
                fmt::format("unknown parameter '{}' for plugin '{}' (expected one of: {})",
                            key.str(), plugin.name(), fmt::join(declared_keys(plugin), ", ")));
            continue;
        }
        const auto converted = param_from_node(node, spec->type);
        if (const auto *reason = std::get_if<std::string>(&converted)) {
            context.error(key.str(), *reason);
        } else if (auto violation = limits_violation(*spec, std::get<ParamValue>(converted))) {
            context.error(key.str(), std::move(*violation));
        }
    }
    for (const auto &spec : plugin.params())
        if (spec.required && !check.params->contains(spec.key))
            context.error(spec.key, fmt::format("missing required parameter '{}' for plugin '{}'",
                                                spec.key, plugin.name()));
}

} // namespace vitals
