// How a check's plugin gets called. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include "checks/check_result.hpp"
#include "checks/run_history.hpp"

namespace vitals {

/// One plugin instance behind a check: in the agent's own process, or in a
/// worker process (isolation = "process").
class PluginRunner {
public:
    virtual ~PluginRunner() = default;
    /// Runs the plugin once; `history` is what run_info() tells it of the runs before.
    /// Calls are serialised by the caller (the ABI promises a plugin one thread per
    /// instance at a time).
    virtual CheckResult run(std::chrono::steady_clock::time_point deadline,
                            const RunHistory &history) = 0;
};

} // namespace vitals
