// Disabled checks, validated in a worker process. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <vector>

#include "config/configuration.hpp"

namespace vitals {

/// A disabled check whose plugin the agent has not loaded, and that plugin's file.
struct ParkedCheck {
    const CheckDefinition *definition;
    std::filesystem::path plugin_file;
};

/// A disabled check is validated as an enabled one is (parameters against the plugin's
/// table, then create() and destroy()), so a typo in a parked drop-in is caught the day
/// it is written. But loading its plugin into the agent would map the plugin's libraries
/// for good where they are NODELETE (OpenSSL, p11-kit: about 2 MB), though nothing runs
/// it; so one worker process validates them all. Problems are appended to `errors` at
/// their place in conf.d, as in-process ones are. A worker that crashes is an error at
/// the first check; one that outlasts the checks' timeouts is killed and the checks are
/// left unvalidated, with a warning, as is a worker that cannot be started.
void validate_in_worker(const std::vector<ParkedCheck> &parked, const IsolationSettings &settings,
                        ConfigErrors &errors);

} // namespace vitals
