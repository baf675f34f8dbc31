// What a process uses, from /proc. SPDX-License-Identifier: MIT
#include "process_usage.hpp"

#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <string_view>
#include <system_error>

namespace vitals::plugins::process {
namespace {

/// A small /proc file whole, or nullopt with errno set.
std::optional<std::string> read_small_file(const std::string &path) {
    const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd.valid()) return std::nullopt;
    std::string text(4096, '\0');
    ssize_t n = 0;
    do {
        n = ::read(fd.get(), text.data(), text.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return std::nullopt;
    text.resize(static_cast<std::size_t>(n));
    return text;
}

/// The whitespace-separated fields of `text`.
std::vector<std::string_view> fields_of(std::string_view text) {
    std::vector<std::string_view> fields;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto start = text.find_first_not_of(" \n", at);
        if (start == std::string_view::npos) break;
        const auto end = text.find_first_of(" \n", start);
        fields.push_back(text.substr(start, end - start));
        at = end == std::string_view::npos ? text.size() : end;
    }
    return fields;
}

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

/// Entries in /proc/PID/fd, or nullopt with errno set.
std::optional<std::uint64_t> count_entries(const std::string &dir) {
    std::unique_ptr<DIR, int (*)(DIR *)> listing{::opendir(dir.c_str()), &::closedir};
    if (!listing) return std::nullopt;
    std::uint64_t count = 0;
    errno = 0;
    while (const dirent *entry = ::readdir(listing.get()))
        count += entry->d_name[0] != '.';
    if (errno != 0) return std::nullopt;
    return count;
}

std::chrono::nanoseconds since_boot() {
    timespec now{};
    // CLOCK_BOOTTIME, as /proc/PID/stat's start time counts: it goes on during suspend.
    ::clock_gettime(CLOCK_BOOTTIME, &now);
    return std::chrono::seconds{now.tv_sec} + std::chrono::nanoseconds{now.tv_nsec};
}

} // namespace

UsageRead read_usage(pid_t pid, bool count_open_files) {
    const std::string dir = "/proc/" + std::to_string(pid);
    const auto gone_or = [&](const std::string &what) {
        UsageRead read;
        if (errno == ENOENT || errno == ESRCH)
            read.gone = true;
        else
            read.problem = "cannot read " + dir + "/" + what + ": " + describe_errno(errno);
        return read;
    };
    const auto stat = read_small_file(dir + "/stat");
    if (!stat) return gone_or("stat");
    const auto statm = read_small_file(dir + "/statm");
    if (!statm) return gone_or("statm");

    // "1234 (name with) spaces) S 1 ...": the fields after the last ')' start at field 3.
    const auto paren = stat->rfind(')');
    const auto fields =
        fields_of(paren == std::string::npos ? std::string_view{}
                                             : std::string_view{*stat}.substr(paren + 1));
    const auto field = [&fields](std::size_t index) -> std::optional<std::uint64_t> {
        return index - 3 < fields.size() ? number(fields[index - 3]) : std::nullopt;
    };
    const auto utime = field(14), stime = field(15), threads = field(20), start = field(22);
    const auto statm_fields = fields_of(*statm);
    const auto resident_pages =
        statm_fields.size() > 1 ? number(statm_fields[1]) : std::optional<std::uint64_t>{};
    if (!utime || !stime || !threads || !start || !resident_pages)
        return {{}, false, "cannot parse " + dir + "/stat or statm"};

    static const auto ticks_per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    static const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    Usage usage;
    usage.pid = pid;
    usage.start_ticks = *start;
    usage.cpu_ticks = *utime + *stime;
    usage.resident_bytes = *resident_pages * page_size;
    usage.threads = *threads;
    const auto started =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(
            static_cast<double>(*start) / static_cast<double>(ticks_per_second)));
    usage.age = std::max(since_boot() - started, std::chrono::nanoseconds::zero());
    if (count_open_files) {
        usage.open_files = count_entries(dir + "/fd");
        if (!usage.open_files) {
            if (errno == ENOENT || errno == ESRCH) return {{}, true, {}};
            return {{}, false, "cannot list " + dir + "/fd: " + describe_errno(errno)};
        }
    }
    return {usage, false, {}};
}

void CpuSampler::sample(std::vector<Usage> &usages, std::chrono::steady_clock::time_point now) {
    static const auto ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::map<pid_t, Seen> seen;
    for (Usage &usage : usages) {
        seen[usage.pid] = {usage.start_ticks, usage.cpu_ticks};
        if (!previous_time_) continue;
        const auto before = previous_.find(usage.pid);
        // Another start time: the PID went to a new process since.
        if (before == previous_.end() || before->second.start_ticks != usage.start_ticks) continue;
        const double elapsed = std::chrono::duration<double>(now - *previous_time_).count();
        if (elapsed <= 0 || usage.cpu_ticks < before->second.cpu_ticks) continue;
        const double busy =
            static_cast<double>(usage.cpu_ticks - before->second.cpu_ticks) / ticks_per_second;
        usage.cpu_percent = busy / elapsed * 100;
    }
    previous_ = std::move(seen);
    previous_time_ = now;
}

} // namespace vitals::plugins::process
