// A configured check: one plugin instance plus its settings. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "checks/check_result.hpp"
#include "checks/plugin_runner.hpp"
#include "config/configuration.hpp"

namespace vitals {

/// A check's definition and the plugin instance that runs it. Which runner that is (in
/// process, in a worker, the built-in push) is chosen where the layers meet
/// (app/check_builder.hpp); a check only runs it.
class Check {
public:
    /// `plugin_identity` names the plugin file the runner runs (PluginLibrary::identity).
    Check(CheckDefinition definition, std::string plugin_identity,
          std::unique_ptr<PluginRunner> runner);
    ~Check();
    Check(const Check &) = delete;
    Check &operator=(const Check &) = delete;

    /// Runs the plugin once. Not reentrant: the caller serialises runs (the
    /// ABI promises a plugin one thread per instance at a time).
    CheckResult run(std::chrono::steady_clock::time_point deadline);

    const CheckDefinition &definition() const { return definition_; }
    const std::string &name() const { return definition_.name; }
    /// The plugin file this check runs (see PluginLibrary::identity).
    const std::string &plugin_identity() const { return plugin_identity_; }
    const PluginRunner &runner() const { return *runner_; }

private:
    CheckDefinition definition_;
    std::string plugin_identity_;
    std::unique_ptr<PluginRunner> runner_;
    RunHistory history_; ///< of this check's runs, for run_info(); guarded by run()'s caller
};

} // namespace vitals
