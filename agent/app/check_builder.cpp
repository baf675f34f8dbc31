// SPDX-License-Identifier: MIT
#include "app/check_builder.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/bounded_create.hpp"
#include "config/push_rules.hpp"
#include "isolation/process_runner.hpp"
#include "push/push_runner.hpp"

namespace vitals {

Isolation effective_isolation(const CheckDefinition &definition,
                              const IsolationSettings &settings) {
    if (definition.isolation_set) return definition.isolation;
    const auto &plugins = settings.plugins;
    return std::find(plugins.begin(), plugins.end(), definition.plugin) != plugins.end()
               ? Isolation::process
               : Isolation::in_process;
}

std::unique_ptr<Check> create_check(const CheckDefinition &definition,
                                    std::shared_ptr<const PluginLibrary> plugin,
                                    ConfigErrors &errors, const IsolationSettings &isolation,
                                    std::stop_token stop) {
    std::unique_ptr<PluginRunner> runner;
    std::string identity = plugin->identity();
    if (effective_isolation(definition, isolation) == Isolation::process)
        runner = ProcessRunner::create(definition, std::move(plugin), errors, isolation);
    else
        runner = create_within_limit(definition, std::move(plugin), errors, std::move(stop));
    if (!runner) return nullptr;
    return std::make_unique<Check>(definition, std::move(identity), std::move(runner));
}

std::unique_ptr<Check> create_push_check(const CheckDefinition &definition) {
    auto inbox = std::make_shared<PushInbox>(definition.name, definition.ttl.value());
    return std::make_unique<Check>(definition, "built-in:push",
                                   std::make_unique<PushRunner>(std::move(inbox)));
}

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
std::shared_ptr<Check> check_from_config(const CheckDefinition &definition,
                                         const Configuration &config, const PluginCatalog &plugins,
                                         ConfigErrors &errors, std::stop_token stop) {
    if (definition.plugin == push_plugin_name) return create_push_check(definition);
    auto plugin = plugins.find(definition.plugin);
    if (!plugin) {
        errors.push_back({definition.plugin_where, "check." + definition.name + ".plugin",
                          plugin_not_found(definition.plugin, plugins)});
        return nullptr;
    }
    return create_check(definition, std::move(plugin), errors, config.agent.isolation,
                        std::move(stop));
}

} // namespace

std::vector<std::shared_ptr<Check>> build_checks(const Configuration &config,
                                                 const PluginCatalog &plugins, ConfigErrors &errors,
                                                 std::stop_token stop) {
    std::vector<std::shared_ptr<Check>> checks;
    for (const auto &definition : config.checks)
        if (definition.enabled)
            if (auto check = check_from_config(definition, config, plugins, errors, stop))
                checks.push_back(std::move(check));

    // A disabled check is still created (then dropped), so a typo in a parked drop-in is
    // caught now rather than on the day someone enables it.
    for (const auto &definition : config.checks)
        if (!definition.enabled && definition.plugin != push_plugin_name)
            check_from_config(definition, config, plugins, errors, stop);
    return checks;
}

} // namespace vitals
