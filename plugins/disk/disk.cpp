// Vitals "disk" checker: how full a filesystem is. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/sizes.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mounts.hpp"

namespace {

using namespace vitals::plugins;
using vitals::Status;
using namespace vitals_disk;

// key, type, required, default, description, secret
constexpr vitals_param_spec disk_params[] = {
    {"path", VITALS_PARAM_STRING, 0, nullptr,
     "Absolute path to any file or directory on the filesystem to check (\"/\" when neither "
     "path nor all_mounts is set)",
     0},
    {"warning", VITALS_PARAM_FLOAT, 0, "80",
     "Warn when this percentage of the filesystem is used (0-100)", 0},
    {"error", VITALS_PARAM_FLOAT, 0, "90",
     "Fail when this percentage of the filesystem is used (0-100)", 0},
    {"inodes_warning", VITALS_PARAM_FLOAT, 0, "90",
     "Warn when this percentage of the inodes is used (0-100)", 0},
    {"inodes_error", VITALS_PARAM_FLOAT, 0, "95",
     "Fail when this percentage of the inodes is used (0-100)", 0},
    {"free_warning", VITALS_PARAM_STRING, 0, nullptr,
     "Warn when less space than this is available, e.g. \"10GiB\" or \"500MB\"", 0},
    {"free_error", VITALS_PARAM_STRING, 0, nullptr,
     "Fail when less space than this is available, e.g. \"2GiB\"", 0},
    {"all_mounts", VITALS_PARAM_BOOL, 0, "false",
     "Check every local, real filesystem in /proc/self/mountinfo instead of one path", 0},
    {"exclude", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "With all_mounts: mount points to leave out (their whole filesystem)", 0},
    {"exclude_types", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "With all_mounts: filesystem types to leave out, besides the pseudo and network ones", 0},
    {}, // the NULL key that ends the table
};

/// Space and inodes on one filesystem, counted the way `df` and `df -i` count them: blocks
/// reserved for root are neither used nor available, so a full disk reads 100% even while
/// root can still write.
struct Usage {
    std::uint64_t used_bytes;
    std::uint64_t available_bytes;
    std::uint64_t inodes_total; ///< 0 where the filesystem has no fixed inode table (btrfs, vfat)
    std::uint64_t inodes_used;

    static Usage of(const struct statvfs &fs) {
        // The block counts are in fragments (f_frsize), not in the preferred I/O size (f_bsize).
        const std::uint64_t fragment = fs.f_frsize;
        const std::uint64_t inodes_free = std::min<std::uint64_t>(fs.f_ffree, fs.f_files);
        return {(fs.f_blocks - fs.f_bfree) * fragment, fs.f_bavail * fragment, fs.f_files,
                fs.f_files - inodes_free};
    }

    /// What unprivileged users can fill; used_bytes + available_bytes, so that the percentage,
    /// the message and the metrics all agree.
    std::uint64_t total_bytes() const { return used_bytes + available_bytes; }

    double used_percent() const {
        return static_cast<double>(used_bytes) / static_cast<double>(total_bytes()) * 100;
    }

    bool has_inodes() const { return inodes_total > 0; }

    double inodes_used_percent() const {
        return static_cast<double>(inodes_used) / static_cast<double>(inodes_total) * 100;
    }
};

/// A status with the reasons behind it: "space used >= 90.0%".
struct Verdict {
    Status status = Status::ok;
    std::vector<std::string> reasons;

    void add(Status level, std::string reason) {
        status = std::max(status, level);
        reasons.push_back(std::move(reason));
    }
};

/// The limits from the parameters. Percentages are "used" limits, reached at >=; free limits
/// are "available" limits, crossed below.
struct Thresholds {
    double warning = 80;
    double error = 90;
    double inodes_warning = 90;
    double inodes_error = 95;
    std::optional<std::uint64_t> free_warning;
    std::optional<std::uint64_t> free_error;

    static Status level(double value, double warning, double error) {
        if (value >= error) return Status::error;
        if (value >= warning) return Status::warning;
        return Status::ok;
    }

    Verdict judge(const Usage &usage) const {
        Verdict verdict;
        if (const Status space = level(usage.used_percent(), warning, error); space != Status::ok)
            verdict.add(
                space, "space used >= " + fixed(space == Status::error ? error : warning, 1) + "%");
        if (usage.has_inodes()) {
            const Status inodes = level(usage.inodes_used_percent(), inodes_warning, inodes_error);
            if (inodes != Status::ok)
                verdict.add(inodes,
                            "inodes used >= " +
                                fixed(inodes == Status::error ? inodes_error : inodes_warning, 1) +
                                "%");
        }
        const std::uint64_t free = usage.available_bytes;
        if (free_error && free < *free_error)
            verdict.add(Status::error,
                        "free " + human_bytes(free) + " < " + human_bytes(*free_error));
        else if (free_warning && free < *free_warning)
            verdict.add(Status::warning,
                        "free " + human_bytes(free) + " < " + human_bytes(*free_warning));
        return verdict;
    }
};

/// "/ 16.8% used (16.1 GiB of 95.7 GiB), inodes 2.6% used"
std::string describe(const std::string &where, const Usage &usage) {
    std::string text = where + " " + fixed(usage.used_percent(), 1) + "% used (" +
                       human_bytes(usage.used_bytes) + " of " + human_bytes(usage.total_bytes()) +
                       ")";
    if (usage.has_inodes()) text += ", inodes " + fixed(usage.inodes_used_percent(), 1) + "% used";
    return text;
}

std::string with_reasons(std::string text, const Verdict &verdict) {
    if (verdict.reasons.empty()) return text;
    text += ": ";
    for (std::size_t i = 0; i < verdict.reasons.size(); ++i)
        text += (i ? ", " : "") + verdict.reasons[i];
    return text;
}

/// The result of statvfs() on one path: the usage, or the errno it failed with.
struct Measurement {
    std::optional<Usage> usage;
    int error = 0;
};

Measurement measure(const std::string &path) {
    struct statvfs fs {};
    if (statvfs(path.c_str(), &fs) != 0) return {std::nullopt, errno};
    return {Usage::of(fs), 0};
}

/// One file system checked in all-mounts mode.
struct Checked {
    MountEntry mount;
    Usage usage;
    Verdict verdict;
    std::string prefix; ///< of its metric names
};

class DiskCheck {
public:
    explicit DiskCheck(const vitals::Params &params) : all_mounts_(params.boolean("all_mounts")) {
        if (all_mounts_ && params.has("path"))
            params.reject("path", "cannot be combined with all_mounts = true: use one or the "
                                  "other (exclude leaves mounts out of all_mounts)");
        if (params.has("path")) path_ = params.string("path");
        // Relative paths would depend on the agent's working directory, which nobody configures.
        if (path_.empty() || path_.front() != '/')
            params.reject("path", "must be an absolute path, got \"" + path_ + "\"");

        const auto percent = [](double value) { return fixed(value, 1); };
        limits_.warning = percentage(params, "warning");
        limits_.error = percentage(params, "error");
        require_not_above(params, "warning", limits_.warning, "error", limits_.error, percent);
        limits_.inodes_warning = percentage(params, "inodes_warning");
        limits_.inodes_error = percentage(params, "inodes_error");
        require_not_above(params, "inodes_warning", limits_.inodes_warning, "inodes_error",
                          limits_.inodes_error, percent);
        limits_.free_warning = size_param(params, "free_warning");
        limits_.free_error = size_param(params, "free_error");
        require_not_above(params, "free_error", limits_.free_error, "free_warning",
                          limits_.free_warning, human_bytes, ": less free space is worse");

        if (params.has("exclude")) exclude_ = mount_list(params, "exclude", true);
        if (params.has("exclude_types"))
            exclude_types_ = mount_list(params, "exclude_types", false);
    }

    void run(vitals::Run &run) const {
        if (all_mounts_)
            run_all(run);
        else
            run_path(run);
    }

private:
    std::vector<std::string> mount_list(const vitals::Params &params, const char *key,
                                        bool mount_points) const {
        if (!all_mounts_) params.reject(key, "only applies with all_mounts = true");
        auto items = params.strings(key);
        for (const auto &item : items) {
            if (item.empty()) params.reject(key, "must not contain empty strings");
            if (mount_points && item.front() != '/')
                params.reject(key, "must list absolute mount points, got \"" + item + "\"");
        }
        return items;
    }

    void run_path(vitals::Run &run) const {
        const Measurement measured = measure(path_);
        if (!measured.usage) {
            run.error("cannot check " + path_ + ": statvfs: " + describe_errno(measured.error));
            return;
        }
        const Usage &usage = *measured.usage;
        if (usage.total_bytes() == 0) {
            run.error(path_ +
                      " has no usable space to measure (a pseudo-filesystem such as /proc?)");
            return;
        }
        run.metric("used_percent", usage.used_percent(), "percent");
        run.metric("used_bytes", static_cast<double>(usage.used_bytes), "bytes");
        run.metric("total_bytes", static_cast<double>(usage.total_bytes()), "bytes");
        run.metric("available_bytes", static_cast<double>(usage.available_bytes), "bytes");
        if (usage.has_inodes()) {
            run.metric("inodes_used_percent", usage.inodes_used_percent(), "percent");
            run.metric("inodes_used", static_cast<double>(usage.inodes_used), "count");
            run.metric("inodes_total", static_cast<double>(usage.inodes_total), "count");
        }
        const Verdict verdict = limits_.judge(usage);
        run.result(verdict.status, with_reasons(describe(path_, usage), verdict));
    }

    void run_all(vitals::Run &run) const {
        std::ifstream file{"/proc/self/mountinfo"};
        if (!file.is_open()) {
            run.error("cannot read /proc/self/mountinfo: " + describe_errno(errno));
            return;
        }
        std::ostringstream text;
        text << file.rdbuf();
        const auto mounts = real_mounts(parse_mountinfo(text.str()), exclude_, exclude_types_);

        // statvfs() on a local filesystem does not block, but a run over many mounts on a
        // stalled machine should still end with our own message rather than the host's.
        const auto start = Clock::now();
        const auto left = run.time_left();
        const auto deadline = start + left - deadline_margin(left);

        std::vector<Checked> checked;
        std::vector<std::string> failures;
        std::set<std::string> prefixes;
        for (std::size_t i = 0; i < mounts.size(); ++i) {
            if (Clock::now() >= deadline) {
                run.error("timed out after checking " + std::to_string(i) + " of " +
                          std::to_string(mounts.size()) + " filesystems");
                return;
            }
            const MountEntry &mount = mounts[i];
            const Measurement measured = measure(mount.mount_point);
            if (!measured.usage) {
                // A mount that went away since mountinfo was read is simply not there any more.
                if (measured.error != ENOENT)
                    failures.push_back("cannot check " + mount.mount_point +
                                       ": statvfs: " + describe_errno(measured.error));
                continue;
            }
            if (measured.usage->total_bytes() == 0) continue; // no blocks: a pseudo-filesystem
            checked.push_back({mount, *measured.usage, limits_.judge(*measured.usage),
                               unique_prefix(mount.mount_point, prefixes)});
        }
        report_all(run, checked, failures);
    }

    /// The mount's metric prefix, made unique among those already taken by a numeric suffix
    /// ("data_2_"), since "/a_b" and "/a/b" would otherwise share one.
    static std::string unique_prefix(const std::string &mount_point, std::set<std::string> &taken) {
        std::string base = metric_prefix(mount_point);
        if (base.empty() && mount_point != "/") base = "mount_"; // no letter or digit at all
        std::string prefix = base;
        for (int n = 2; !taken.insert(prefix).second; ++n)
            prefix = base + std::to_string(n) + "_";
        return prefix;
    }

    static void report_all(vitals::Run &run, const std::vector<Checked> &checked,
                           const std::vector<std::string> &failures) {
        run.metric("mounts", static_cast<double>(checked.size()), "count");
        for (const auto &mount : checked) {
            const auto name = [&mount](const char *metric) { return mount.prefix + metric; };
            run.metric(name("used_percent").c_str(), mount.usage.used_percent(), "percent");
            run.metric(name("available_bytes").c_str(),
                       static_cast<double>(mount.usage.available_bytes), "bytes");
            run.metric(name("total_bytes").c_str(), static_cast<double>(mount.usage.total_bytes()),
                       "bytes");
            if (mount.usage.has_inodes())
                run.metric(name("inodes_used_percent").c_str(), mount.usage.inodes_used_percent(),
                           "percent");
        }
        if (checked.empty() && failures.empty()) {
            run.error("no filesystem to check: every mount is a pseudo, network or excluded one");
            return;
        }

        Status status = failures.empty() ? Status::ok : Status::error;
        std::vector<std::string> problems = failures;
        std::size_t fine = 0;
        for (const auto &mount : checked) {
            if (mount.verdict.status == Status::ok) {
                ++fine;
                continue;
            }
            status = std::max(status, mount.verdict.status);
            problems.push_back(
                with_reasons(describe(mount.mount.mount_point, mount.usage), mount.verdict));
        }
        if (problems.empty()) {
            const auto fullest = std::max_element(
                checked.begin(), checked.end(), [](const Checked &a, const Checked &b) {
                    return a.usage.used_percent() < b.usage.used_percent();
                });
            run.ok(std::to_string(checked.size()) +
                   (checked.size() == 1 ? " filesystem ok: " : " filesystems ok, fullest ") +
                   describe(fullest->mount.mount_point, fullest->usage));
            return;
        }
        std::string message;
        for (const auto &problem : problems)
            message += (message.empty() ? "" : "; ") + problem;
        if (fine > 0)
            message += "; " + std::to_string(fine) + (fine == 1 ? " other ok" : " others ok");
        run.result(status, message);
    }

    bool all_mounts_;
    std::string path_ = "/";
    Thresholds limits_;
    std::vector<std::string> exclude_;
    std::vector<std::string> exclude_types_;
};

} // namespace

VITALS_CPP_PLUGIN(DiskCheck, "disk", "0.2.0",
                  "How full the filesystem holding a path, or every real filesystem, is",
                  disk_params)
