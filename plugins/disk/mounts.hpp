// Which mounted file systems the disk plugin's all-mounts mode checks. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/mountinfo.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace vitals_disk {

// The mount table is read by plugins/common, which the cgroup reading shares.
using vitals::plugins::MountEntry;
using vitals::plugins::parse_mountinfo;

/// True for file systems that hold no user data (proc, tmpfs, cgroup, overlay, squashfs, ...)
/// or that are reached over the network (nfs, cifs, fuse.*): all-mounts mode skips them.
bool skipped_type(std::string_view fs_type);

/// The file systems all-mounts mode checks, sorted by mount point: no skipped types and no
/// `exclude_types`; a mount point hidden by a later mount on top of it gives way to that one;
/// each device once (bind mounts and repeated mounts share a device), under its
/// whole-file-system mount if there is one, else its shortest mount point; and no device with
/// any mount point listed in `exclude`.
std::vector<MountEntry> real_mounts(const std::vector<MountEntry> &all,
                                    const std::vector<std::string> &exclude,
                                    const std::vector<std::string> &exclude_types);

/// The metric-name prefix for a mount point: "" for "/", "var_lib_docker_" for
/// "/var/lib/docker": lower case letters, digits and single underscores.
std::string metric_prefix(std::string_view mount_point);

} // namespace vitals_disk
