// `vitalsd run --json`: one run's result as a line of JSON. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "checks/check_result.hpp"

namespace vitals {

/// What one line of `vitalsd run --json` tells about one run.
struct RunReport {
    std::string check;
    std::string plugin;
    unsigned run = 1; ///< from 1, with --repeat
    /// The parameters the check was created with, defaults applied; secrets replaced.
    const toml::table *params = nullptr;
    std::vector<std::string> defaulted; ///< the keys in params that took their default
    const CheckResult *result = nullptr;
};

/// One JSON object on one line (JSON Lines, so that --repeat streams): check, plugin, run,
/// params, defaulted, then status, message, metrics ({name, value, unit}) and
/// duration_seconds, as a push check's JSON report has them.
std::string run_report_json(const RunReport &report);

} // namespace vitals
