// The memory limit of the cgroup the agent runs in, and the memory charged against it.
// SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/cgroup.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace vitals::plugins::memory {

/// A cgroup's memory limit and what is charged against it.
struct CgroupMemory {
    std::uint64_t limit = 0;
    /// Charged memory less the inactive file cache the kernel reclaims first, as the kubelet
    /// and `docker stats` count it: what the limit's OOM killer looks at.
    std::uint64_t working_set = 0;
    std::string directory; ///< the cgroup whose limit it is: this one or a parent
};

/// The tightest memory limit over the cgroup at `location` and its parents: the one with the
/// least room left. nullopt when none has a limit below `host_total` (a limit above the
/// host's memory limits nothing). Files a level lacks mean no limit there.
std::optional<CgroupMemory> memory_limit(const cgroup::Location &location,
                                         std::uint64_t host_total);

} // namespace vitals::plugins::memory
