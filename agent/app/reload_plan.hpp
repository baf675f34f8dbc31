// What a reload changes, decided from the running and the loaded configuration alone.
// SPDX-License-Identifier: MIT
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/configuration.hpp"

namespace vitals {

/// A check as a reload compares it: its definition, and the build of the plugin file it
/// runs (Check::plugin_identity), which differs once the file is replaced by a new build.
struct CheckVersion {
    CheckDefinition definition;
    std::string plugin_build;
};

/// One side of a reload: agent.toml's settings and the checks that run under them.
struct ReloadSide {
    AgentSettings agent;
    std::vector<CheckVersion> checks;
};

/// What a reload does, by check name.
struct ReloadPlan {
    /// Unchanged: the running instance goes on, with its results, history and schedule.
    std::set<std::string> keep;
    /// Changed: the running instance stops; the loaded one starts with no results.
    std::set<std::string> restart;
    std::set<std::string> add;    ///< only in the loaded configuration
    std::set<std::string> remove; ///< only in the running one
    /// agent.toml settings that changed but apply only at the next restart, by their key
    /// ("listen", "[http]"); until then the running values stay (keep_restart_only_settings).
    std::vector<std::string> restart_only_changes;
};

/// Decides what a reload from `running` to `loaded` does, from their values alone: a check
/// restarts when anything about it differs, but for what reload_plan.cpp sets aside.
ReloadPlan plan_reload(const ReloadSide &running, const ReloadSide &loaded);

/// What a check saved by a previous run of the agent must match to be restored: a digest,
/// under `key`, of everything a reload compares (plan_reload) but the plugin's build.
std::string restore_identity(const CheckDefinition &definition, const IsolationSettings &isolation,
                             std::string_view key = {});

/// Puts back into `loaded` the running values of the settings only a restart applies.
void keep_restart_only_settings(AgentSettings &loaded, const AgentSettings &running);

} // namespace vitals
