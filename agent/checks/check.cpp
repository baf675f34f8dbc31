// SPDX-License-Identifier: MIT
#include "checks/check.hpp"

#include <algorithm>

#include "checks/bounded_create.hpp"
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

std::unique_ptr<Check> Check::create(const CheckDefinition &definition,
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
    return std::unique_ptr<Check>(new Check(definition, std::move(identity), std::move(runner)));
}

std::unique_ptr<Check> Check::create_push(const CheckDefinition &definition) {
    auto inbox = std::make_shared<PushInbox>(definition.name, definition.ttl.value());
    auto runner = std::make_unique<PushRunner>(inbox);
    return std::unique_ptr<Check>(
        new Check(definition, "built-in:push", std::move(runner), std::move(inbox)));
}

Check::Check(CheckDefinition definition, std::string plugin_identity,
             std::unique_ptr<PluginRunner> runner, std::shared_ptr<PushInbox> inbox)
    : definition_(std::move(definition)), plugin_identity_(std::move(plugin_identity)),
      runner_(std::move(runner)), inbox_(std::move(inbox)) {}

Check::~Check() = default;

CheckResult Check::run(std::chrono::steady_clock::time_point deadline) {
    return runner_->run(deadline);
}

CheckInfo Check::info() const {
    return CheckInfo{definition_.name,
                     definition_.plugin,
                     definition_.description,
                     definition_.groups,
                     definition_.interval,
                     definition_.timeout,
                     definition_.failure_threshold,
                     definition_.success_threshold,
                     definition_.ttl};
}

} // namespace vitals
