// A configured check: one plugin instance plus its settings. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <stop_token>

#include "checks/plugin_runner.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_library.hpp"
#include "push/push_inbox.hpp"
#include "results/check_result.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Where a check's plugin runs: its own `isolation`, else agent.toml's [isolation] plugins.
Isolation effective_isolation(const CheckDefinition &definition, const IsolationSettings &settings);

class Check {
public:
    /// Validates the check's params against the plugin's declared table, then
    /// creates the plugin instance, in process or in a worker as the
    /// definition and `isolation` say. Returns nullptr after adding to `errors`.
    /// In process, create() gets a time limit (checks/bounded_create.hpp), and `stop`
    /// gives up the wait for it at once.
    static std::unique_ptr<Check> create(const CheckDefinition &definition,
                                         std::shared_ptr<const PluginLibrary> plugin,
                                         ConfigErrors &errors,
                                         const IsolationSettings &isolation = {},
                                         std::stop_token stop = {});
    /// A push check (plugin = "push", built in): reported to through its inbox,
    /// its scheduled runs only watch the ttl. The definition must have a ttl.
    static std::unique_ptr<Check> create_push(const CheckDefinition &definition);
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
    CheckInfo info() const;
    /// Where reports go; nullptr unless this is a push check.
    std::shared_ptr<PushInbox> push_inbox() const { return inbox_; }

private:
    Check(CheckDefinition definition, std::string plugin_identity,
          std::unique_ptr<PluginRunner> runner, std::shared_ptr<PushInbox> inbox = nullptr);

    CheckDefinition definition_;
    std::string plugin_identity_;
    std::unique_ptr<PluginRunner> runner_;
    std::shared_ptr<PushInbox> inbox_;
};

} // namespace vitals
