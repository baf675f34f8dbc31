// What a check's state means right now: status, pending, stale. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "results/result_store.hpp"

namespace vitals {

/// How a check is reported at a given moment. Every response style reads
/// this, never CheckState::last directly, so all of them agree.
struct Verdict {
    Status status = Status::error;
    std::string message;
    bool pending = false; ///< no run has finished yet
    bool stale = false;   ///< the last result is too old to trust
    /// Seconds since the last result ended (nullopt when pending).
    std::optional<double> age_seconds;
    /// When the next run is expected (one interval after the last ended).
    std::optional<std::chrono::system_clock::time_point> next_run;
};

/// A result older than this is stale: two missed intervals plus a run's timeout.
Duration staleness_limit(const CheckInfo &info);

/// A check that has not reported counts as an error (the agent does not
/// claim health it has not measured), as does one whose result went stale
/// (a wedged scheduler must never keep a probe green).
/// A push check (one with a ttl) is judged by its ttl instead: see verdict.cpp.
Verdict judge(const CheckState &state, std::chrono::system_clock::time_point now);

/// "no report for 5m": a push check whose ttl passed without a report.
std::string no_report_message(Duration ttl);

} // namespace vitals
