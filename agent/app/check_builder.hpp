// Configuration + plugins → ready-to-run checks: where each check's runner is chosen
// (in process, in a worker, or the built-in push). SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <stop_token>
#include <vector>

#include "checks/check.hpp"
#include "config/config_error.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_catalog.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

/// Where a check's plugin runs: its own `isolation`, else agent.toml's [isolation] plugins.
Isolation effective_isolation(const CheckDefinition &definition, const IsolationSettings &settings);

/// Validates the check's params against the plugin's declared table, then creates the
/// plugin instance, in process or in a worker as the definition and `isolation` say.
/// Returns nullptr after adding to `errors`. In process, create() gets a time limit
/// (checks/bounded_create.hpp), and `stop` gives up the wait for it at once.
std::unique_ptr<Check> create_check(const CheckDefinition &definition,
                                    std::shared_ptr<const PluginLibrary> plugin,
                                    ConfigErrors &errors, const IsolationSettings &isolation = {},
                                    std::stop_token stop = {});

/// A push check (plugin = "push", built in): reported to through its inbox (see
/// PushRunner), its scheduled runs only watch the ttl. The definition must have a ttl.
std::unique_ptr<Check> create_push_check(const CheckDefinition &definition);

/// Creates every configured check; problems (unknown plugin, rejected
/// parameters) are appended to `errors` and the check is left out. Disabled
/// checks are validated the same way, and left out. `stop` gives up waiting for
/// in-process create() calls (create_check).
std::vector<std::shared_ptr<Check>> build_checks(const Configuration &config,
                                                 const PluginCatalog &plugins, ConfigErrors &errors,
                                                 std::stop_token stop = {});

} // namespace vitals
