// Where the scheduler's results go. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "checks/check_result.hpp"
#include "core/status.hpp"

namespace vitals {

/// What the scheduler hands each run's result to, and asks before a run whether a check
/// it depends on is failing. The results layer (ResultStore) implements it: results sit
/// above the scheduler, so the scheduler only knows this interface.
/// Called from the scheduler's workers at once: implementations are thread-safe.
class RunRecorder {
public:
    virtual ~RunRecorder() = default;

    /// Takes a run's result (the scheduler has dropped it if the check was removed,
    /// timed out before it returned, or the scheduler is stopping).
    virtual void record(const std::string &name, CheckResult result) = 0;
    /// The status `name` is reported with at `now`, as probes see it, or nullopt while
    /// it has none: unknown, or no run has ended yet.
    virtual std::optional<Status>
    reported_status(std::string_view name, std::chrono::system_clock::time_point now) const = 0;
};

} // namespace vitals
