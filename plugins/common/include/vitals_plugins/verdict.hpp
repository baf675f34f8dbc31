// The status a run has come to and why, for checks that judge several things at once.
// SPDX-License-Identifier: MIT
#pragma once

#include <vitals/plugin.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace vitals::plugins {

/// The worst status found so far and every reason for a status other than ok, in the order
/// found: a check that judges a value, a lag and a time reports each limit crossed.
struct Verdict {
    vitals::Status status = vitals::Status::ok;
    std::string notes; ///< "; 12 evictions, more than 10; slower than 50.0 ms"

    void raise(vitals::Status to, const std::string &reason) {
        status = std::max(status, to);
        notes += "; " + reason;
    }

    /// Raised when `took` is beyond the error limit, else beyond the warning limit.
    void judge_time(const TimeLimits &limits, std::chrono::nanoseconds took) {
        if (limits.error && took > *limits.error)
            raise(vitals::Status::error, "slower than " + format_duration(*limits.error));
        else if (limits.warning && took > *limits.warning)
            raise(vitals::Status::warning, "slower than " + format_duration(*limits.warning));
    }
};

} // namespace vitals::plugins
