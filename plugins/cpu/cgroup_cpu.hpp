// The CPU quota of the cgroup the agent runs in, and the CPU time used against it.
// SPDX-License-Identifier: MIT
#pragma once

#include "cpu_times.hpp"

#include <vitals_plugins/cgroup.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace vitals::plugins::cpu {

/// A cgroup's CPU quota, and where the time it limits is counted.
struct CgroupCpu {
    double cpus = 0;             ///< quota / period: 0.5 is half of one CPU's time
    std::string quota_directory; ///< the cgroup whose quota it is: this one or a parent
    std::string usage_directory; ///< where its time is counted: the same, or v1's cpuacct twin
    bool v2 = false;
};

/// The tightest CPU quota over the cgroup at `cpu` and its parents. `cpuacct` is where v1
/// counts CPU time (the same hierarchy when co-mounted as "cpu,cpuacct"); v2 counts it beside
/// the quota. nullopt when no level has a quota below `host_cpus`, or its time is not found.
std::optional<CgroupCpu> cpu_limit(const cgroup::Location &cpu,
                                   const std::optional<cgroup::Location> &cpuacct,
                                   double host_cpus);

/// The CPU time a cgroup has used so far, and how often its quota stopped it.
struct CgroupCpuTimes {
    std::uint64_t usage_ns = 0;
    std::uint64_t user = 0;   ///< in a unit of its own (v1 ticks, v2 microseconds): for the split
    std::uint64_t system = 0; ///< the same unit
    std::uint64_t periods = 0;
    std::uint64_t throttled = 0; ///< periods in which the quota ran out
};

std::optional<CgroupCpuTimes> read_cgroup_times(const CgroupCpu &limit);

/// The share of the quota used between two readings `seconds` apart, in percent, split into
/// user and system; and the share of periods throttled.
struct CgroupUtilisation {
    double used = 0;
    double user = 0;
    double system = 0;
    double throttled = 0;
};

std::optional<CgroupUtilisation> cgroup_utilisation(const CgroupCpuTimes &before,
                                                    const CgroupCpuTimes &after, double seconds,
                                                    double cpus);

} // namespace vitals::plugins::cpu
