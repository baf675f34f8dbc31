// The memory limit of the cgroup the agent runs in. SPDX-License-Identifier: MIT
#include "cgroup_memory.hpp"

#include <algorithm>

namespace vitals::plugins::memory {
namespace {

/// The file names of one cgroup version.
struct Files {
    const char *limit;
    const char *usage;
    const char *inactive_file; ///< its key in memory.stat
};
constexpr Files v1_files{"memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"};
constexpr Files v2_files{"memory.max", "memory.current", "inactive_file"};

} // namespace

std::optional<CgroupMemory> memory_limit(const cgroup::Location &location,
                                         std::uint64_t host_total) {
    const Files &files = location.v2 ? v2_files : v1_files;
    std::optional<CgroupMemory> tightest;
    for (const std::string &directory : cgroup::levels(location)) {
        // v2 writes "max" for none, v1 a number near 2^63: either way, not below the host's.
        const auto limit = cgroup::read_number(directory + "/" + files.limit);
        if (!limit || *limit >= host_total) continue;
        const auto usage = cgroup::read_number(directory + "/" + files.usage);
        if (!usage) continue;
        const auto stat = cgroup::read_file(directory + "/memory.stat");
        const auto inactive = stat ? cgroup::stat_value(*stat, files.inactive_file).value_or(0) : 0;
        const std::uint64_t working_set = *usage - std::min(inactive, *usage);
        const auto room = [](const CgroupMemory &memory) {
            return memory.limit - std::min(memory.working_set, memory.limit);
        };
        const CgroupMemory here{*limit, working_set, directory};
        if (!tightest || room(here) < room(*tightest)) tightest = here;
    }
    return tightest;
}

} // namespace vitals::plugins::memory
