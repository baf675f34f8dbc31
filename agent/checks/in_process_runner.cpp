// SPDX-License-Identifier: MIT
#include "checks/in_process_runner.hpp"

#include <fmt/format.h>

#include "checks/host_context.hpp"
#include "checks/param_validation.hpp"
#include "core/log.hpp"

namespace vitals {

std::unique_ptr<InProcessRunner>
InProcessRunner::create(const CheckDefinition &definition,
                        std::shared_ptr<const PluginLibrary> plugin, ConfigErrors &errors) {
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
    return std::unique_ptr<InProcessRunner>(
        new InProcessRunner(definition.name, context.secrets, std::move(plugin), instance));
}

InProcessRunner::InProcessRunner(std::string check, std::shared_ptr<const Secrets> secrets,
                                 std::shared_ptr<const PluginLibrary> plugin, void *instance)
    : check_(std::move(check)), secrets_(std::move(secrets)), plugin_(std::move(plugin)),
      instance_(instance) {}

InProcessRunner::~InProcessRunner() {
    plugin_->descriptor().destroy(instance_);
}

CheckResult InProcessRunner::run(std::chrono::steady_clock::time_point deadline) {
    RunContext context{check_, secrets_, deadline};
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
        log(LogLevel::warning, "check", "{}: dropped {} invalid or excess metric(s)", check_,
            context.dropped_metrics());
    return result;
}

} // namespace vitals
