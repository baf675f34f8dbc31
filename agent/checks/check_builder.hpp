// Configuration + plugins → ready-to-run checks. SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <vector>

#include "checks/check.hpp"
#include "config/configuration.hpp"
#include "loader/plugin_catalog.hpp"

namespace vitals {

/// Creates every configured check; problems (unknown plugin, rejected
/// parameters) are appended to `errors` and the check is left out.
std::vector<std::shared_ptr<Check>>
build_checks(const Configuration &config, const PluginCatalog &plugins, ConfigErrors &errors);

} // namespace vitals
