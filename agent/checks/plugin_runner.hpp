// How a check's plugin gets called. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include "checks/check_result.hpp"

namespace vitals {

/// One plugin instance behind a check: in the agent's own process, or in a
/// worker process (isolation = "process").
class PluginRunner {
public:
    virtual ~PluginRunner() = default;
    /// Runs the plugin once. Calls are serialised by the caller (the ABI
    /// promises a plugin one thread per instance at a time).
    virtual CheckResult run(std::chrono::steady_clock::time_point deadline) = 0;
};

} // namespace vitals
