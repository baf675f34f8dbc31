// The disk plugin through the real vitalsd: one path or every real mount, space, inodes and
// free-space thresholds set around what statvfs says now. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "mounts.hpp"
#include "plugins_system/system_fixture.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::system;

/// What the plugin should see for a path, computed the way df does.
struct DiskNow {
    double used_percent;
    double inodes_used_percent;
    std::uint64_t inodes_total;
    std::uint64_t total_bytes;
    std::uint64_t available_bytes;
};

DiskNow disk_now(const std::string &path) {
    struct statvfs fs {};
    REQUIRE(statvfs(path.c_str(), &fs) == 0);
    const std::uint64_t used = (fs.f_blocks - fs.f_bfree) * fs.f_frsize;
    const std::uint64_t available = fs.f_bavail * fs.f_frsize;
    const double inodes_used = fs.f_files ? static_cast<double>(fs.f_files - fs.f_ffree) /
                                                static_cast<double>(fs.f_files) * 100
                                          : 0;
    return {static_cast<double>(used) / static_cast<double>(used + available) * 100, inodes_used,
            fs.f_files, used + available, available};
}

/// The type of the filesystem visible at "/", from the test's own reading of mountinfo (the
/// last mount on a point hides the ones before it).
std::string root_fs_type_visible() {
    std::string type;
    for (const auto &entry : vitals_disk::parse_mountinfo(read_text("/proc/self/mountinfo")))
        if (entry.mount_point == "/") type = entry.fs_type;
    return type;
}

double clamp_percent(double value) {
    return std::clamp(value, 0.0, 100.0);
}

} // namespace

TEST_CASE("disk: a path reports space and inode use as df does, in message and metrics") {
    Agent agent{check_toml("root", "disk",
                           "path = \"/\", warning = 100, error = 100, inodes_warning = 100, "
                           "inodes_error = 100")};
    const auto check = wait_until_not_pending(agent.port(), "root", 10s);
    const DiskNow now = disk_now("/");

    CHECK(status_of(check) == "ok");
    CHECK(message_of(check).starts_with("/ "));
    CHECK(contains(message_of(check), "% used ("));
    CHECK(contains(message_of(check), " of "));
    // Other work on this machine writes to the same disk: close, not equal.
    CHECK(required_metric(check, "used_percent") ==
          doctest::Approx(now.used_percent).epsilon(0.05));
    CHECK(metric_unit(check, "used_percent") == "percent");
    CHECK(required_metric(check, "total_bytes") ==
          doctest::Approx(static_cast<double>(now.total_bytes)).epsilon(0.01));
    CHECK(metric_unit(check, "total_bytes") == "bytes");
    CHECK(required_metric(check, "used_bytes") + required_metric(check, "available_bytes") ==
          doctest::Approx(required_metric(check, "total_bytes")));
    if (now.inodes_total > 0) {
        CHECK(contains(message_of(check), "inodes "));
        CHECK(required_metric(check, "inodes_total") == static_cast<double>(now.inodes_total));
        CHECK(metric_unit(check, "inodes_total") == "count");
        CHECK(required_metric(check, "inodes_used_percent") ==
              doctest::Approx(now.inodes_used_percent).epsilon(0.05));
        CHECK(metric_unit(check, "inodes_used_percent") == "percent");
    } else {
        MESSAGE("/ has no inode table (btrfs?): inode metrics not checked");
    }
}

TEST_CASE("disk: space thresholds just below and above the current use") {
    const double used = disk_now("/").used_percent;
    INFO("/ is " << used << "% used");
    // Two points of margin: other work on the box moves the disk by far less in a test's time.
    const std::string below = toml_number(clamp_percent(used - 2));
    const std::string above = toml_number(clamp_percent(used + 2));
    const std::string inodes_off = ", inodes_warning = 100, inodes_error = 100";
    Agent agent{
        check_toml("calm", "disk", "warning = " + above + ", error = 100" + inodes_off) +
        check_toml("warns", "disk", "warning = " + below + ", error = " + above + inodes_off) +
        check_toml("fails", "disk", "warning = 0, error = " + below + inodes_off)};

    const auto calm = wait_until_not_pending(agent.port(), "calm", 10s);
    CHECK(status_of(calm) == "ok");
    CHECK_FALSE(contains(message_of(calm), ">="));

    const auto warns = wait_until_not_pending(agent.port(), "warns", 10s);
    CHECK(status_of(warns) == "warning");
    CHECK(contains(message_of(warns), "space used >= "));
    CHECK(http_get(agent.port(), "/health/checks/warns").status == 200);

    const auto fails = wait_until_not_pending(agent.port(), "fails", 10s);
    CHECK(status_of(fails) == "error");
    CHECK(message_of(fails).starts_with("/ "));
    CHECK(contains(message_of(fails), ": space used >= "));
    CHECK(http_get(agent.port(), "/health/checks/fails").status == 503);
}

TEST_CASE("disk: inode thresholds around the current inode use") {
    const DiskNow now = disk_now("/");
    if (now.inodes_total == 0) {
        MESSAGE("/ has no inode table (btrfs?): nothing to test");
        return;
    }
    const double used = now.inodes_used_percent;
    INFO("/ has " << used << "% of its inodes used");
    // Half and halfway to 100: a build creating files does not move these in seconds.
    const std::string half = toml_number(used / 2);
    const std::string halfway_up = toml_number((used + 100) / 2);
    const std::string space_off = "warning = 100, error = 100, ";
    Agent agent{
        check_toml("calm", "disk",
                   space_off + "inodes_warning = " + halfway_up + ", inodes_error = 100") +
        check_toml("warns", "disk",
                   space_off + "inodes_warning = " + half + ", inodes_error = " + halfway_up) +
        check_toml("fails", "disk", space_off + "inodes_warning = 0, inodes_error = " + half)};

    CHECK(status_of(wait_until_not_pending(agent.port(), "calm", 10s)) == "ok");
    const auto warns = wait_until_not_pending(agent.port(), "warns", 10s);
    CHECK(status_of(warns) == "warning");
    CHECK(contains(message_of(warns), ": inodes used >= "));
    CHECK_FALSE(contains(message_of(warns), "space used"));
    const auto fails = wait_until_not_pending(agent.port(), "fails", 10s);
    CHECK(status_of(fails) == "error");
    CHECK(contains(message_of(fails), "inodes used >= "));
}

TEST_CASE("disk: absolute free-space thresholds in bytes and units") {
    const auto available = static_cast<double>(disk_now("/").available_bytes);
    INFO("/ has " << available << " bytes available");
    const auto bytes = [](double value) {
        return quoted(std::to_string(static_cast<std::uint64_t>(value)));
    };
    // Half of what is free, in MiB: the unit parser, and a limit far below the free space.
    const std::string half_mib =
        quoted(std::to_string(static_cast<std::uint64_t>(available / 2 / (1024 * 1024))) + " MiB");
    const std::string percent_off = "warning = 100, error = 100, ";
    Agent agent{
        check_toml("roomy", "disk", percent_off + "free_warning = " + half_mib) +
        check_toml("tight", "disk",
                   percent_off + "free_warning = " + bytes(available * 2) +
                       ", free_error = " + half_mib) +
        check_toml("full", "disk",
                   percent_off + "free_warning = " + bytes(available * 4) + ", free_error = \"" +
                       std::to_string(static_cast<std::uint64_t>(std::ceil(available * 2 / 1e9))) +
                       "GB\"")};

    const auto roomy = wait_until_not_pending(agent.port(), "roomy", 10s);
    CHECK(status_of(roomy) == "ok");
    const auto tight = wait_until_not_pending(agent.port(), "tight", 10s);
    CHECK(status_of(tight) == "warning");
    CHECK(contains(message_of(tight), ": free "));
    CHECK(contains(message_of(tight), " < "));
    const auto full = wait_until_not_pending(agent.port(), "full", 10s);
    CHECK(status_of(full) == "error");
    CHECK(contains(message_of(full), ": free "));
}

TEST_CASE("disk: all_mounts checks the real filesystems and names metrics by mount point") {
    const std::string root_type = root_fs_type_visible();
    const bool root_is_real = !root_type.empty() && !vitals_disk::skipped_type(root_type);
    INFO("/ is " << root_type);
    Agent agent{check_toml("mounts", "disk", "all_mounts = true, warning = 100, error = 100") +
                check_toml("without_root", "disk",
                           "all_mounts = true, warning = 100, error = 100, exclude = [\"/\"]")};

    const auto all = wait_until_not_pending(agent.port(), "mounts", 10s);
    const double mounts = required_metric(all, "mounts");
    CHECK(metric_unit(all, "mounts") == "count");
    // Every other metric is a mount's: "<prefix>" + one of four names.
    for (const auto &name : metric_names(all)) {
        if (name == "mounts") continue;
        const bool per_mount = name.ends_with("used_percent") ||
                               name.ends_with("available_bytes") || name.ends_with("total_bytes");
        CHECK_MESSAGE(per_mount, "unexpected metric " << name);
        // Pseudo filesystems stay out: /proc, /sys, /dev (devtmpfs), /dev/shm, cgroups.
        for (const char *pseudo : {"proc_", "sys_", "dev_"})
            CHECK_MESSAGE(!name.starts_with(pseudo), "pseudo filesystem metric " << name);
    }
    const auto metric_count = metric_names(all).size();
    CHECK(metric_count >= 1 + 3 * static_cast<std::size_t>(mounts));
    CHECK(metric_count <= 1 + 4 * static_cast<std::size_t>(mounts));

    const auto without_root = wait_until_not_pending(agent.port(), "without_root", 10s);
    if (!root_is_real) {
        MESSAGE("/ is " << root_type << ", which all_mounts skips: root assertions not made");
        CHECK_FALSE(metric(all, "used_percent").has_value());
        return;
    }
    REQUIRE(mounts >= 1);
    CHECK(status_of(all) == "ok");
    CHECK(contains(message_of(all), "ok"));
    // "/" keeps the plain names of path mode; other mounts are prefixed.
    CHECK(required_metric(all, "used_percent") ==
          doctest::Approx(disk_now("/").used_percent).epsilon(0.05));
    CHECK(metric_unit(all, "used_percent") == "percent");

    CHECK(required_metric(without_root, "mounts") == mounts - 1);
    CHECK_FALSE(metric(without_root, "used_percent").has_value());
    if (mounts == 1) {
        CHECK(status_of(without_root) == "error");
        CHECK(contains(message_of(without_root), "no filesystem to check"));
    }
}

TEST_CASE("disk: all_mounts reports the mount over its threshold by name") {
    const std::string root_type = root_fs_type_visible();
    if (root_type.empty() || vitals_disk::skipped_type(root_type)) {
        MESSAGE("/ is " << root_type << ", which all_mounts skips: nothing to test");
        return;
    }
    const double used = disk_now("/").used_percent;
    INFO("/ is " << used << "% used");
    Agent agent{check_toml("mounts", "disk",
                           "all_mounts = true, warning = " + toml_number(clamp_percent(used - 2)) +
                               ", error = 100, inodes_warning = 100, inodes_error = 100")};
    const auto check = wait_until_not_pending(agent.port(), "mounts", 10s);
    // Only "/" is near its limit; any other mount fuller than it warns as well, which is right.
    CHECK(status_of(check) == "warning");
    CHECK(contains(message_of(check), "/ "));
    CHECK(contains(message_of(check), "% used ("));
    CHECK(contains(message_of(check), ": space used >= "));
}

TEST_CASE("disk: a path that does not exist is an error naming it") {
    TempDir dir;
    const std::string missing = (dir.path() / "no" / "such").string();
    Agent agent{check_toml("gone", "disk", "path = " + quoted(missing))};
    const auto check = wait_until_not_pending(agent.port(), "gone", 10s);
    CHECK(status_of(check) == "error");
    CHECK(contains(message_of(check), "cannot check " + missing));
    CHECK(contains(message_of(check), "no such file or directory"));
}

TEST_CASE("disk: parameters are validated, and the original three keep working") {
    const auto check = check_config(
        check_toml("relative", "disk", "path = \"var/lib\"") +
        check_toml("both", "disk", "path = \"/\", all_mounts = true") +
        check_toml("inode_range", "disk", "inodes_warning = 101") +
        check_toml("inode_order", "disk", "inodes_warning = 96") +
        check_toml("bad_size", "disk", "free_warning = \"5G\"") +
        check_toml("not_a_size", "disk", "free_error = \"lots\"") +
        check_toml("negative_size", "disk", "free_warning = \"-1GiB\"") +
        check_toml("free_order", "disk", "free_warning = \"1GiB\", free_error = \"2GiB\"") +
        check_toml("stray_exclude", "disk", "exclude = [\"/home\"]") +
        check_toml("relative_exclude", "disk", "all_mounts = true, exclude = [\"home\"]") +
        check_toml("empty_type", "disk", "all_mounts = true, exclude_types = [\"\"]") +
        check_toml("word", "disk", "warning = \"high\"") +
        check_toml("flag", "disk", "all_mounts = \"yes\"") +
        check_toml("legacy", "disk", "path = \"/\", warning = 70, error = 80.5") +
        check_toml("full_set", "disk",
                   "all_mounts = true, warning = 70, error = 80, inodes_warning = 50, "
                   "inodes_error = 60, free_warning = \"10GiB\", free_error = \"1.5 GB\", "
                   "exclude = [\"/boot/efi\"], exclude_types = [\"vfat\"]"));

    expect_rejected(check, "check.relative.params.path", "must be an absolute path");
    expect_rejected(check, "check.both.params.path", "cannot be combined with all_mounts");
    expect_rejected(check, "check.inode_range.params.inodes_warning",
                    "must be a percentage from 0 to 100, got 101.0");
    expect_rejected(check, "check.inode_order.params.inodes_warning",
                    "must not be above inodes_error (96.0 > 95.0)");
    expect_rejected(check, "check.bad_size.params.free_warning", "must be a size such as");
    expect_rejected(check, "check.not_a_size.params.free_error", "got \"lots\"");
    expect_rejected(check, "check.negative_size.params.free_warning", "must be a size");
    expect_rejected(check, "check.free_order.params.free_error", "must not be above free_warning");
    expect_rejected(check, "check.stray_exclude.params.exclude",
                    "only applies with all_mounts = true");
    expect_rejected(check, "check.relative_exclude.params.exclude",
                    "absolute mount points, got \"home\"");
    expect_rejected(check, "check.empty_type.params.exclude_types", "empty");
    expect_rejected(check, "check.word.params.warning", "expected a number, got string");
    expect_rejected(check, "check.flag.params.all_mounts", "expected a boolean");
    for (const auto &[key, message] : check.problems)
        CHECK_MESSAGE((!key.starts_with("check.legacy.") && !key.starts_with("check.full_set.")),
                      key << ": " << message);
    CHECK(check.problems.size() == 13);
}

// ---------------------------------------------------------------- mount table, unit level

TEST_CASE("disk: mountinfo parsing unescapes mount points and skips pseudo filesystems") {
    using namespace vitals_disk;
    const auto entries =
        parse_mountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                        "30 27 8:1 / /mnt/my\\040disk rw shared:5 master:2 - xfs /dev/sda1 rw\n"
                        "garbage line\n"
                        "31 27 0:40 / /run/user/1000 rw - tmpfs tmpfs rw\n");
    REQUIRE(entries.size() == 4);
    CHECK(entries[2].mount_point == "/mnt/my disk");
    CHECK(entries[2].fs_type == "xfs"); // after the optional fields and the "-"
    CHECK(entries[2].device == "8:1");

    const auto mounts = real_mounts(entries, {}, {});
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[0].mount_point == "/");
    CHECK(mounts[1].mount_point == "/mnt/my disk");

    for (const char *type : {"tmpfs", "proc", "sysfs", "cgroup2", "overlay", "squashfs", "devtmpfs",
                             "nfs4", "cifs", "fuse.sshfs"})
        CHECK_MESSAGE(skipped_type(type), type);
    for (const char *type : {"ext4", "xfs", "btrfs", "zfs", "vfat", "fuseblk"})
        CHECK_MESSAGE(!skipped_type(type), type);
}

TEST_CASE("disk: all_mounts counts each device once, and exclusions") {
    using namespace vitals_disk;
    const auto entries = parse_mountinfo(
        // A container's view: overlay root, bind mounts of files from the host's disk.
        "1 0 0:50 / / rw - overlay overlay rw\n"
        "2 1 8:1 /var/lib/docker/containers/x/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n"
        "3 1 8:1 /var/lib/docker/containers/x/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
        // The same disk mounted whole further down wins over the bind mounts.
        "4 1 8:1 / /host rw - ext4 /dev/sda1 rw\n"
        "5 1 8:2 / /data rw - xfs /dev/sda2 rw\n"
        // /data is mounted over: only the top one is visible.
        "6 1 8:3 / /data rw - ext4 /dev/sdb1 rw\n"
        "7 1 8:4 / /boot/efi rw - vfat /dev/sda4 rw\n");

    const auto mounts = real_mounts(entries, {}, {});
    REQUIRE(mounts.size() == 3);
    CHECK(mounts[0].mount_point == "/boot/efi");
    CHECK(mounts[1].mount_point == "/data");
    CHECK(mounts[1].device == "8:3");
    CHECK(mounts[2].mount_point == "/host");

    const auto fewer = real_mounts(entries, {"/boot/efi", "/etc/hosts"}, {"xfs"});
    REQUIRE(fewer.size() == 1); // /etc/hosts excludes its device, /host with it
    CHECK(fewer[0].mount_point == "/data");
    CHECK(real_mounts(entries, {}, {"ext4", "vfat"}).empty());
}

TEST_CASE("disk: metric prefixes are lower_snake_case mount points") {
    using vitals_disk::metric_prefix;
    CHECK(metric_prefix("/") == "");
    CHECK(metric_prefix("/home") == "home_");
    CHECK(metric_prefix("/var/lib/docker") == "var_lib_docker_");
    CHECK(metric_prefix("/mnt/My Disk-2") == "mnt_my_disk_2_");
    CHECK(metric_prefix("/srv//data/") == "srv_data_");
}
