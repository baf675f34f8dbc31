// SPDX-License-Identifier: MIT
#include "mounts.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace vitals_disk {
namespace {

/// Types that hold no user data, or whose "usage" means nothing for a disk alarm: memory-backed
/// (tmpfs, ramfs), kernel interfaces (proc, sysfs, cgroup, ...), container layers (overlay,
/// whose space is that of the disk below it) and read-only images that are always 100% full
/// (squashfs for snaps, iso9660, erofs).
constexpr std::array pseudo_types = {
    "autofs",  "binfmt_misc", "bpf",        "cgroup",     "cgroup2",   "configfs",   "cramfs",
    "debugfs", "devpts",      "devtmpfs",   "efivarfs",   "erofs",     "fusectl",    "hugetlbfs",
    "iso9660", "mqueue",      "nsfs",       "overlay",    "proc",      "pstore",     "ramfs",
    "romfs",   "rootfs",      "rpc_pipefs", "securityfs", "selinuxfs", "squashfs",   "sysfs",
    "tmpfs",   "tracefs",     "udf",        "nfsd",       "aufs",      "fuse.lxcfs", "zonefs"};

/// Network file systems: statvfs() on one whose server is gone blocks in the kernel, which no
/// deadline can interrupt. Check such a mount on its own with `path`, where a hang costs that
/// one check only.
constexpr std::array network_types = {"9p",     "afs",   "ceph",  "cifs", "glusterfs", "gpfs",
                                      "lustre", "ncpfs", "nfs",   "nfs4", "smb3",      "smbfs",
                                      "sshfs",  "coda",  "ocfs2", "davfs"};

bool contains(const std::vector<std::string> &list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

/// Which of two mounts of one device to report: the whole file system over a bind mount of a
/// directory in it, then the shorter mount point ("/" over "/var/lib/docker/...").
bool better(const MountEntry &candidate, const MountEntry &current) {
    const bool candidate_whole = candidate.root == "/";
    const bool current_whole = current.root == "/";
    if (candidate_whole != current_whole) return candidate_whole;
    if (candidate.mount_point.size() != current.mount_point.size())
        return candidate.mount_point.size() < current.mount_point.size();
    return candidate.mount_point < current.mount_point;
}

} // namespace

bool skipped_type(std::string_view fs_type) {
    const auto listed = [fs_type](const auto &types) {
        return std::find(types.begin(), types.end(), fs_type) != types.end();
    };
    // fuse.* are user-space file systems named by their driver: sshfs, gvfsd-fuse, rclone, lxcfs.
    // Most are remote or virtual; fuseblk (ntfs-3g, exfat on a local disk) is not one of them.
    return listed(pseudo_types) || listed(network_types) || fs_type.starts_with("fuse.");
}

std::vector<MountEntry> real_mounts(const std::vector<MountEntry> &all,
                                    const std::vector<std::string> &exclude,
                                    const std::vector<std::string> &exclude_types) {
    // A later mount on the same point hides the earlier one; statvfs() sees only the top one.
    std::map<std::string, MountEntry> visible;
    for (const auto &entry : all)
        visible[entry.mount_point] = entry;

    std::map<std::string, MountEntry> by_device;
    std::vector<std::string> excluded_devices;
    for (const auto &[mount_point, entry] : visible) {
        if (skipped_type(entry.fs_type) || contains(exclude_types, entry.fs_type)) continue;
        // Excluding any mount point of a device excludes the device: "/" stays out even where
        // a bind mount of it (a container's /etc/hosts) would otherwise stand in for it.
        if (contains(exclude, mount_point)) excluded_devices.push_back(entry.device);
        const auto [existing, inserted] = by_device.emplace(entry.device, entry);
        if (!inserted && better(entry, existing->second)) existing->second = entry;
    }
    for (const auto &device : excluded_devices)
        by_device.erase(device);

    std::vector<MountEntry> mounts;
    for (auto &[device, entry] : by_device)
        mounts.push_back(std::move(entry));
    std::sort(mounts.begin(), mounts.end(), [](const MountEntry &a, const MountEntry &b) {
        return a.mount_point < b.mount_point;
    });
    return mounts;
}

std::string metric_prefix(std::string_view mount_point) {
    std::string prefix;
    for (const char c : mount_point) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        const bool upper = c >= 'A' && c <= 'Z';
        if (keep || upper)
            prefix += upper ? static_cast<char>(c - 'A' + 'a') : c;
        else if (!prefix.empty() && prefix.back() != '_')
            prefix += '_';
    }
    if (!prefix.empty() && prefix.back() != '_') prefix += '_';
    return prefix;
}

} // namespace vitals_disk
