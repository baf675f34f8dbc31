// SPDX-License-Identifier: MIT
#include "checks/in_process_runner.hpp"

#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "checks/host_context.hpp"
#include "checks/lifecycle_context.hpp"
#include "checks/param_validation.hpp"
#include "checks/plugin_call.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

/// For a C++ plugin that bypassed the SDK wrapper and let an exception through the C ABI
/// (the ABI forbids it; g++ builds it anyway): what to report, said in a catch block.
std::string escaped(std::string_view call) {
    std::string what;
    try {
        throw;
    } catch (const std::exception &e) {
        what = e.what();
    } catch (...) {
        what = "not a std::exception";
    }
    return fmt::format("plugin let an exception escape {}(): {}", call, what);
}

} // namespace

std::unique_ptr<InProcessRunner>
InProcessRunner::create(const CheckDefinition &definition,
                        std::shared_ptr<const PluginLibrary> plugin, ConfigErrors &errors) {
    CreateContext context{definition, *plugin, errors};
    validate_params(definition, *plugin, context);
    if (context.has_errors()) return nullptr;
    std::string refusal;
    auto session = PluginSession::open(plugin, refusal);
    if (!session) {
        // Refused as a library the loader refuses is: at the check's plugin key.
        errors.push_back(
            {definition.plugin_where, "check." + definition.name + ".plugin", std::move(refusal)});
        return nullptr;
    }
    void *instance = nullptr;
    try {
        const PluginCallScope call{definition.name, "create"};
        instance = plugin->descriptor().create(&host_api(), &context);
    } catch (...) {
        context.error("", escaped("create"));
        return nullptr;
    }
    if (!instance) {
        if (!context.has_errors())
            context.error("", fmt::format("plugin '{}' refused the check without saying why",
                                          plugin->name()));
        return nullptr;
    }
    const CheckTiming timing{definition.interval, definition.timeout};
    if (context.has_errors()) {
        // create() succeeded yet reported a problem: trust the problem.
        destroy_instance(*plugin, definition.name, context.secrets, timing, instance);
        return nullptr;
    }
    auto runner = std::unique_ptr<InProcessRunner>(new InProcessRunner(
        definition.name, timing, context.secrets, std::move(session), std::move(plugin), instance));
    runner->metric_intake_ =
        std::make_shared<MetricIntake>(definition.name, context.secrets, definition.labels);
    return runner;
}

InProcessRunner::InProcessRunner(std::string check, CheckTiming timing,
                                 std::shared_ptr<const Secrets> secrets,
                                 std::shared_ptr<const PluginSession> session,
                                 std::shared_ptr<const PluginLibrary> plugin, void *instance)
    : check_(std::move(check)), timing_(timing), secrets_(std::move(secrets)),
      session_(std::move(session)), plugin_(std::move(plugin)), instance_(instance) {}

InProcessRunner::~InProcessRunner() {
    destroy_instance(*plugin_, check_, secrets_, timing_, instance_);
}

void InProcessRunner::destroy_instance(const PluginLibrary &plugin, const std::string &check,
                                       const std::shared_ptr<const Secrets> &secrets,
                                       CheckTiming timing, void *instance) noexcept {
    try {
        const PluginCallScope call{check, "destroy"};
        const auto &descriptor = plugin.descriptor();
        if (descriptor.destroy_ex) {
            DestroyContext context{check, secrets, timing};
            descriptor.destroy_ex(instance, &host_api(), &context);
        } else {
            descriptor.destroy(instance);
        }
    } catch (...) {
        log(LogLevel::error, "check", "{}: {}", check, escaped("destroy"));
    }
}

CheckResult InProcessRunner::run(std::chrono::steady_clock::time_point deadline,
                                 const RunHistory &history) {
    RunContext context{check_, secrets_, deadline, timing_, history, metric_intake_};
    const auto started = std::chrono::system_clock::now();
    const auto start = std::chrono::steady_clock::now();
    try {
        const PluginCallScope call{check_, "run"};
        plugin_->descriptor().run(instance_, &host_api(), &context);
    } catch (...) {
        context.set_result(VITALS_STATUS_ERROR, escaped("run").c_str());
    }
    CheckResult result = context.take_result();
    const auto returned = std::chrono::steady_clock::now();
    if (returned > deadline) {
        // The ABI promises a result past the deadline is ignored: a plugin that returned when
        // cancel_fd() fired may beat the scheduler's own sweep by a hair, and must not be ok.
        result = CheckResult{};
        result.status = Status::error;
        result.message = fmt::format("timed out after {}", format_duration(timing_.timeout));
    }
    result.duration = returned - start;
    result.started = started;
    // Each drop was logged, once, naming the metric and the reason, as it happened.
    return result;
}

} // namespace vitals
