// The host's CPU time from /proc/stat, and what share of it went where between two readings.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vitals::plugins::cpu {

/// The "cpu" line of /proc/stat: every CPU's time so far, in clock ticks.
struct CpuTimes {
    std::uint64_t user = 0;   ///< user and nice (guest time is inside them already)
    std::uint64_t system = 0; ///< system, irq and softirq
    std::uint64_t idle = 0;
    std::uint64_t iowait = 0;
    std::uint64_t steal = 0;

    std::uint64_t total() const { return user + system + idle + iowait + steal; }
};

/// The "cpu" line of /proc/stat's text; nullopt when there is none.
std::optional<CpuTimes> parse_proc_stat(const std::string &text);

/// Shares of the time between two readings, in percent: used is all but idle and iowait.
struct Utilisation {
    double used = 0;
    double user = 0;
    double system = 0;
    double iowait = 0;
    double steal = 0;
};

/// The shares between `before` and `after`; nullopt when no tick passed in between.
std::optional<Utilisation> utilisation(const CpuTimes &before, const CpuTimes &after);

} // namespace vitals::plugins::cpu
