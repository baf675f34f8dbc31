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

/// "\040" -> " ": mountinfo escapes space, tab, newline and backslash as three octal digits.
std::string unescape(std::string_view field) {
    std::string text;
    text.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        const auto is_octal = [&](std::size_t at) {
            return at < field.size() && field[at] >= '0' && field[at] <= '7';
        };
        if (field[i] == '\\' && is_octal(i + 1) && is_octal(i + 2) && is_octal(i + 3)) {
            text += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0'));
            i += 3;
        } else {
            text += field[i];
        }
    }
    return text;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (start < line.size()) {
        const auto end = std::min(line.find(' ', start), line.size());
        if (end > start) fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    return fields;
}

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

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
    // 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    // (1)(2)(3)   (4)   (5)         (6)        (7...)   - (8)  (9)       (10)
    std::vector<MountEntry> entries;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        const auto fields = split_fields(text.substr(start, end - start));
        start = end + 1;
        const auto separator = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 6 || separator == fields.end() || separator + 1 == fields.end() ||
            separator - fields.begin() < 6)
            continue;
        entries.push_back({std::string{fields[2]}, unescape(fields[3]), unescape(fields[4]),
                           std::string{*(separator + 1)}});
    }
    return entries;
}

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
