// The agent's own CPU time and memory, for /metrics. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>

namespace vitals {

struct ProcessUsage {
    double cpu_seconds = 0;           ///< user plus system time of every thread so far
    std::uint64_t resident_bytes = 0; ///< resident set size now
};

/// Reads this process's usage (getrusage and /proc/self/statm); nullopt if
/// /proc is not mounted.
std::optional<ProcessUsage> read_process_usage();

} // namespace vitals
