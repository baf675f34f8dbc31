// Configuration + plugins → ready-to-run checks. SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <stop_token>
#include <vector>

#include "checks/check.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_catalog.hpp"

namespace vitals {

/// Where a disabled check is validated when no enabled check has loaded its plugin:
/// in this process, or in a plugin worker (isolation/parked_validation.hpp says why).
/// Workers are the agent binary itself, so only vitalsd may ask for them.
enum class ParkedChecks { in_process, in_worker };

/// Creates every configured check; problems (unknown plugin, rejected
/// parameters) are appended to `errors` and the check is left out. Disabled
/// checks are validated the same way, and left out. `stop` gives up waiting for
/// in-process create() calls (Check::create).
std::vector<std::shared_ptr<Check>> build_checks(const Configuration &config,
                                                 const PluginCatalog &plugins, ConfigErrors &errors,
                                                 ParkedChecks parked = ParkedChecks::in_process,
                                                 std::stop_token stop = {});

} // namespace vitals
