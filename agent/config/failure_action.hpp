// A check's on_failure action: a command run after failures in a row, at most so often.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "core/duration.hpp"

namespace vitals {

/// `on_failure = { run = [...], after = 3, max = "3/15m", timeout = "30s" }` of a check
/// (docs/alerts.md "Actions on failure").
struct FailureAction {
    /// The program and its arguments, run without a shell; with `shell`, run[0] is a
    /// script for /bin/sh -c and the rest are its $0, $1, ...
    std::vector<std::string> run;
    bool shell = false;
    /// Error results in a row before it runs; after a run, as many again before the next
    /// (Monit's "if 3 cycles then restart").
    unsigned after = 1;
    /// At most `max_runs` runs in any `window`; beyond, it gives up until the window allows.
    unsigned max_runs = 3;
    Duration window = std::chrono::minutes{15};
    /// Killed with everything it started once it has run this long.
    Duration timeout = std::chrono::seconds{30};
    SourceLocation where; ///< the on_failure key

    bool operator==(const FailureAction &) const = default;
};

} // namespace vitals
