// /proc/self/mountinfo read: which file system is mounted where. SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vitals::plugins {

/// One line of /proc/self/mountinfo, reduced to what the shipped plugins need.
struct MountEntry {
    std::string device;        ///< "major:minor": the same file system mounted twice shares it
    std::string root;          ///< the directory of the file system mounted here ("/" for all)
    std::string mount_point;   ///< unescaped: "\040" in the file is a space here
    std::string fs_type;       ///< "ext4", "tmpfs", "fuse.sshfs", "cgroup2", ...
    std::string super_options; ///< the file system's own: "rw,cpu,cpuacct" for a cgroup v1
};

/// Parses mountinfo text (see proc(5)); lines it cannot read are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

} // namespace vitals::plugins
