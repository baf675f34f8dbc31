// Which control group the agent runs in, and where its files are: for the plugins that judge
// memory and CPU against the cgroup's limits rather than the host's. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/mountinfo.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::plugins::cgroup {

/// One line of /proc/self/cgroup: "4:memory:/docker/abc" (v1), "0::/system.slice/x" (v2).
struct Membership {
    std::string controllers; ///< "memory", "cpu,cpuacct"; empty for the v2 hierarchy
    std::string path;        ///< within the hierarchy
};

std::vector<Membership> parse_proc_cgroup(std::string_view text);

/// Where a process's cgroup for one controller is.
struct Location {
    std::string directory;   ///< "/sys/fs/cgroup/memory/docker/abc"
    std::string mount_point; ///< "/sys/fs/cgroup/memory": nothing above it is visible
    bool v2 = false;
};

/// The cgroup for `controller` ("memory", "cpu", "cpuacct") among `memberships`, under the
/// mounts in `mounts`: the v1 hierarchy that carries the controller, else the v2 hierarchy
/// (whether v2 has the controller enabled shows in its files, not here). nullopt when no
/// mount shows the cgroup: its path is not under the mount's root.
std::optional<Location> locate(std::string_view controller,
                               const std::vector<Membership> &memberships,
                               const std::vector<MountEntry> &mounts);

/// locate() for this process, from /proc/self/cgroup and /proc/self/mountinfo.
std::optional<Location> locate_own(std::string_view controller);

/// The cgroup's directory, then each parent's up to the mount point: limits set higher up
/// bind too.
std::vector<std::string> levels(const Location &location);

/// A cgroup file's text, or nullopt with errno set.
std::optional<std::string> read_file(const std::string &path);

/// A number from a file holding one, or nullopt when the file is missing or holds no
/// number (v2's "max").
std::optional<std::uint64_t> read_number(const std::string &path);

/// The value of `key` in "key value" lines (memory.stat, cpu.stat).
std::optional<std::uint64_t> stat_value(std::string_view text, std::string_view key);

} // namespace vitals::plugins::cgroup
