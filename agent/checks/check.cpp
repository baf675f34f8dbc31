// SPDX-License-Identifier: MIT
#include "checks/check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/host_context.hpp"
#include "checks/param_values.hpp"
#include "config/table_reader.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

std::vector<std::string_view> declared_keys(const PluginLibrary &plugin) {
    std::vector<std::string_view> keys;
    for (const auto &spec : plugin.params())
        keys.emplace_back(spec.key);
    return keys;
}

/// Checks conf.d params against the plugin's table before the plugin sees them.
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
        if (const auto *reason = std::get_if<std::string>(&converted))
            context.error(key.str(), *reason);
    }
    for (const auto &spec : plugin.params())
        if (spec.required && !check.params->contains(spec.key))
            context.error(spec.key, fmt::format("missing required parameter '{}' for plugin '{}'",
                                                spec.key, plugin.name()));
}

} // namespace

std::unique_ptr<Check> Check::create(const CheckDefinition &definition,
                                     std::shared_ptr<const PluginLibrary> plugin,
                                     ConfigErrors &errors) {
    CreateContext context{definition, *plugin, errors};
    validate_params(definition, *plugin, context);
    if (context.has_errors()) return nullptr;
    void *instance = plugin->descriptor().create(&host_api(), &context);
    if (!instance) {
        if (!context.has_errors())
            context.error("", fmt::format("plugin '{}' refused the check without saying why",
                                          plugin->name()));
        return nullptr;
    }
    if (context.has_errors()) {
        // create() succeeded yet reported a problem: trust the problem.
        plugin->descriptor().destroy(instance);
        return nullptr;
    }
    return std::unique_ptr<Check>(new Check(definition, std::move(plugin), instance));
}

Check::Check(CheckDefinition definition, std::shared_ptr<const PluginLibrary> plugin,
             void *instance)
    : definition_(std::move(definition)), plugin_(std::move(plugin)), instance_(instance) {}

Check::~Check() {
    plugin_->descriptor().destroy(instance_);
}

CheckResult Check::run(std::chrono::steady_clock::time_point deadline) {
    RunContext context{definition_.name, deadline};
    const auto started = std::chrono::system_clock::now();
    const auto start = std::chrono::steady_clock::now();
    try {
        plugin_->descriptor().run(instance_, &host_api(), &context);
    } catch (...) {
        // Only a C++ plugin that bypassed the SDK wrapper can get here.
        context.set_result(VITALS_STATUS_ERROR, "plugin let an exception escape run()");
    }
    CheckResult result = context.take_result();
    result.duration = std::chrono::steady_clock::now() - start;
    result.started = started;
    if (context.dropped_metrics() > 0)
        log(LogLevel::warning, "check", "{}: dropped {} invalid or excess metric(s)", name(),
            context.dropped_metrics());
    return result;
}

CheckInfo Check::info() const {
    return CheckInfo{definition_.name,   definition_.plugin,   definition_.description,
                     definition_.groups, definition_.interval, definition_.timeout};
}

} // namespace vitals
