// SPDX-License-Identifier: MIT
#include "checks/check_builder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "push/push_rules.hpp"

namespace vitals {

std::vector<std::shared_ptr<Check>>
build_checks(const Configuration &config, const PluginCatalog &plugins, ConfigErrors &errors) {
    std::vector<std::shared_ptr<Check>> checks;
    for (const auto &definition : config.checks) {
        if (definition.plugin == push_plugin_name) {
            if (definition.enabled) checks.push_back(Check::create_push(definition));
            continue;
        }
        auto plugin = plugins.find(definition.plugin);
        if (!plugin) {
            const auto known = plugins.names();
            errors.push_back(
                {definition.plugin_where, "check." + definition.name + ".plugin",
                 fmt::format("unknown plugin '{}' (loaded: {}; built in: {})", definition.plugin,
                             known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", ")),
                             push_plugin_name)});
            continue;
        }
        // A disabled check is still created, so a typo in a parked drop-in is
        // caught now rather than on the day someone enables it.
        auto check = Check::create(definition, std::move(plugin), errors, config.agent.isolation);
        if (check && definition.enabled) checks.push_back(std::move(check));
    }
    return checks;
}

} // namespace vitals
