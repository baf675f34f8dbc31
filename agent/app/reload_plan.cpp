// SPDX-License-Identifier: MIT
#include "app/reload_plan.hpp"

#include <map>
#include <optional>
#include <string_view>

#include <Poco/SHA2Engine.h>

#include "app/check_builder.hpp"
#include "config/definition_text.hpp"

namespace vitals {
namespace {

/// agent.toml's settings a running agent cannot take on: the HTTP server binds and sizes
/// itself once, the scheduler its workers, the result store its history. The one list:
/// plan_reload reports changes to them, keep_restart_only_settings keeps the running values.
template <typename Visit> void for_each_restart_only_setting(Visit visit) {
    visit("listen", &AgentSettings::listen);
    visit("workers", &AgentSettings::workers);
    visit("[http]", &AgentSettings::http);
    visit("[tls]", &AgentSettings::tls);
    visit("history", &AgentSettings::history_size);
    visit("state_dir", &AgentSettings::state_dir);
}

/// Everything that makes a running check what it is. Compared with the defaulted
/// operator==, down to every field of CheckDefinition, so a field added later restarts
/// the check when it changes without anyone listing it here.
struct ComparedCheck {
    CheckDefinition definition;
    std::string plugin_build;
    /// For a check in a worker, what the worker was started with: agent.toml's [isolation]
    /// but its plugin list, which `definition.isolation` already accounts for. None in
    /// process: no worker limit concerns it.
    std::optional<IsolationSettings> worker;
    bool operator==(const ComparedCheck &) const = default;
};

/// `check` as compared across a reload under `isolation`, agent.toml's [isolation]. What
/// is deliberately not a reason to restart is set aside here, and only here.
ComparedCheck compared(const CheckVersion &check, const IsolationSettings &isolation) {
    ComparedCheck result{check.definition, check.plugin_build, std::nullopt};
    CheckDefinition &definition = result.definition;
    // Where the check is written: moving it within its file or to another, or editing the
    // lines above it, changes nothing it does (the locations only point errors at a line).
    definition.where = definition.plugin_where = definition.depends_where = {};
    // Who chose where the plugin runs: the check's own `isolation` key or, for a check
    // without one, agent.toml's [isolation] plugins. Only the placement it gets counts.
    definition.isolation = effective_isolation(check.definition, isolation);
    definition.isolation_set = true;
    if (definition.isolation == Isolation::process) {
        result.worker = isolation;
        result.worker->plugins.clear();
    }
    // Who is told of its changes: the alert engine takes that from each configuration,
    // so the check keeps running, and its results, when only that changed.
    definition.notify.clear();
    definition.notify_where = {};
    // Its maintenance windows: the silence board takes them from each configuration.
    definition.maintenance.clear();
    // Its on_failure action likewise: FailureActions::configure takes each configuration's.
    definition.on_failure.reset();
    // Description and groups, though only shown beside results, do restart: a kept check
    // is reported with its running instance's, which would go on showing the old ones.
    return result;
}

} // namespace

ReloadPlan plan_reload(const ReloadSide &running, const ReloadSide &loaded) {
    ReloadPlan plan;
    std::map<std::string, ComparedCheck> gone;
    for (const auto &check : running.checks)
        gone.emplace(check.definition.name, compared(check, running.agent.isolation));
    for (const auto &check : loaded.checks) {
        const std::string &name = check.definition.name;
        const auto old = gone.find(name);
        if (old == gone.end()) {
            plan.add.insert(name);
            continue;
        }
        const bool same = old->second == compared(check, loaded.agent.isolation);
        (same ? plan.keep : plan.restart).insert(name);
        gone.erase(old);
    }
    for (const auto &[name, check] : gone)
        plan.remove.insert(name);
    for_each_restart_only_setting([&](std::string_view key, auto setting) {
        if (running.agent.*setting != loaded.agent.*setting)
            plan.restart_only_changes.emplace_back(key);
    });
    return plan;
}

std::string restore_identity(const CheckDefinition &definition, const IsolationSettings &isolation,
                             std::string_view key) {
    // As a reload compares it, but for the plugin's build: an upgrade replaces every
    // plugin file, and must not cost the results.
    const ComparedCheck check = compared({definition, {}}, isolation);
    std::string text = definition_text(check.definition);
    if (check.worker) text += "\n[worker]\n" + isolation_text(*check.worker);
    Poco::SHA2Engine sha256;
    sha256.update(key.data(), static_cast<unsigned>(key.size()));
    sha256.update(text);
    return Poco::DigestEngine::digestToHex(sha256.digest());
}

void keep_restart_only_settings(AgentSettings &loaded, const AgentSettings &running) {
    for_each_restart_only_setting(
        [&](std::string_view, auto setting) { loaded.*setting = running.*setting; });
}

} // namespace vitals
