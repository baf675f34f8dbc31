// SPDX-License-Identifier: MIT
#include "checks/check_builder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "isolation/parked_validation.hpp"
#include "push/push_rules.hpp"

namespace vitals {

namespace {

/// Why no plugin `name` could be loaded: its file's refusal, or the files there are (read
/// from the directories; none of them is loaded to find a plugin by another name).
std::string plugin_not_found(const std::string &name, const PluginCatalog &plugins) {
    if (auto refusal = plugins.refusal_of(name))
        return fmt::format("plugin '{}' refused: {}", name, *refusal);
    const auto files = plugins.names();
    return fmt::format("unknown plugin '{}' (plugin files: {}; built in: {})", name,
                       files.empty() ? "none" : fmt::format("{}", fmt::join(files, ", ")),
                       push_plugin_name);
}

/// The check, or nullptr when it cannot be created (the reasons are in `errors`).
std::shared_ptr<Check> create_check(const CheckDefinition &definition, const Configuration &config,
                                    const PluginCatalog &plugins, ConfigErrors &errors,
                                    std::stop_token stop) {
    if (definition.plugin == push_plugin_name) return Check::create_push(definition);
    auto plugin = plugins.find(definition.plugin);
    if (!plugin) {
        errors.push_back({definition.plugin_where, "check." + definition.name + ".plugin",
                          plugin_not_found(definition.plugin, plugins)});
        return nullptr;
    }
    return Check::create(definition, std::move(plugin), errors, config.agent.isolation,
                         std::move(stop));
}

} // namespace

std::vector<std::shared_ptr<Check>> build_checks(const Configuration &config,
                                                 const PluginCatalog &plugins, ConfigErrors &errors,
                                                 ParkedChecks parked, std::stop_token stop) {
    std::vector<std::shared_ptr<Check>> checks;
    for (const auto &definition : config.checks)
        if (definition.enabled)
            if (auto check = create_check(definition, config, plugins, errors, stop))
                checks.push_back(std::move(check));

    // A disabled check is still created, so a typo in a parked drop-in is caught now
    // rather than on the day someone enables it; after the enabled ones, so that a
    // plugin they loaded anyway validates it here.
    std::vector<ParkedCheck> to_worker;
    for (const auto &definition : config.checks) {
        if (definition.enabled || definition.plugin == push_plugin_name) continue;
        if (parked == ParkedChecks::in_worker && !plugins.loaded(definition.plugin))
            if (auto file = plugins.file_named(definition.plugin)) {
                to_worker.push_back({&definition, std::move(*file)});
                continue;
            }
        create_check(definition, config, plugins, errors, stop);
    }
    validate_in_worker(to_worker, config.agent.isolation, errors);
    return checks;
}

} // namespace vitals
