// A plugin instance living in the agent's own process. SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "checks/host_context.hpp"
#include "checks/metric_intake.hpp"
#include "checks/plugin_runner.hpp"
#include "checks/plugin_session.hpp"
#include "checks/secrets.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

/// The fast default: a direct call. A crash in the plugin is a crash of the
/// agent, and a call that never returns holds its thread (the scheduler then
/// reports a timeout and replaces the thread).
class InProcessRunner final : public PluginRunner {
public:
    /// Validates the params, then calls the plugin's create(), after its init() when this is
    /// the library's first instance in this process (PluginSession); nullptr after adding to
    /// `errors` (an init() that refuses is reported at the check's `plugin` key).
    static std::unique_ptr<InProcessRunner> create(const CheckDefinition &definition,
                                                   std::shared_ptr<const PluginLibrary> plugin,
                                                   ConfigErrors &errors);
    ~InProcessRunner() override;

    CheckResult run(std::chrono::steady_clock::time_point deadline,
                    const RunHistory &history) override;

private:
    InProcessRunner(std::string check, CheckTiming timing, std::shared_ptr<const Secrets> secrets,
                    std::shared_ptr<const PluginSession> session,
                    std::shared_ptr<const PluginLibrary> plugin, void *instance);
    /// Calls destroy_ex(), or destroy() when the plugin has none; an exception let through
    /// is logged, never thrown on.
    static void destroy_instance(const PluginLibrary &plugin, const std::string &check,
                                 const std::shared_ptr<const Secrets> &secrets, CheckTiming timing,
                                 void *instance) noexcept;

    std::string check_;
    CheckTiming timing_;
    std::shared_ptr<const Secrets> secrets_;
    /// Declared before plugin_ and so released after it: deinit() (when this is the last
    /// instance) comes after destroy(), and the session keeps the code loaded through it.
    std::shared_ptr<const PluginSession> session_;
    std::shared_ptr<const PluginLibrary> plugin_; // keeps the code loaded while the instance lives
    void *instance_;
    /// Across runs, so that each dropped metric is logged once per check and reason.
    std::shared_ptr<MetricIntake> metric_intake_;
};

} // namespace vitals
