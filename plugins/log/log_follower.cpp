// Following a log file across rotation and truncation. SPDX-License-Identifier: MIT
#include "log_follower.hpp"

#include <vitals_plugins/text.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace vitals::plugins::log {
namespace {

/// Read in pieces of this size: the memory a run needs whatever was appended.
constexpr std::size_t chunk_bytes = 64 * 1024;

/// The size of an open file, or nullopt with errno set.
std::optional<std::uint64_t> size_of(int fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(info.st_size);
}

std::string_view without_carriage_return(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

} // namespace

bool LogFollower::open_path(FollowReport &report) {
    // O_NONBLOCK: a FIFO put where the log was must not hang the run in open().
    UniqueFd fd{::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
    if (!fd.valid()) {
        if (errno != ENOENT) report.problem = "cannot open " + path_ + ": " + describe_errno(errno);
        return false;
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        report.problem = "cannot stat " + path_ + ": " + describe_errno(errno);
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        report.problem = path_ + " is not a regular file";
        return false;
    }
    fd_ = std::move(fd);
    device_ = info.st_dev;
    inode_ = info.st_ino;
    return true;
}

bool LogFollower::drain(const ReadBudget &budget, bool final, FollowReport &report,
                        const std::function<void(std::string_view)> &on_line) {
    std::string chunk(chunk_bytes, '\0');
    std::string partial; // the start of a line whose newline has not been read yet
    std::uint64_t read_at = offset_;
    std::uint64_t consumed = offset_;
    bool at_end = false;
    while (report.bytes < budget.max_bytes && Clock::now() < budget.deadline) {
        const auto want = std::min<std::uint64_t>(chunk.size(), budget.max_bytes - report.bytes);
        const ssize_t n = ::pread(fd_.get(), chunk.data(), want, static_cast<off_t>(read_at));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            report.problem = "cannot read " + path_ + ": " + describe_errno(errno);
            break;
        }
        if (n == 0) {
            at_end = true;
            break;
        }
        report.bytes += static_cast<std::uint64_t>(n);
        std::string_view data{chunk.data(), static_cast<std::size_t>(n)};
        const std::uint64_t data_start = read_at;
        read_at += static_cast<std::uint64_t>(n);
        for (std::size_t at = 0; at < data.size();) {
            const auto newline = data.find('\n', at);
            if (newline == std::string_view::npos) {
                consumed = skipping_ ? read_at : consumed;
                if (skipping_) break;
                partial.append(data.substr(at));
                if (partial.size() > max_line_bytes) {
                    // Hand on what fits and skip the rest up to the newline, so one endless
                    // line cannot hold the whole file up or fill the agent's memory.
                    on_line(std::string_view{partial}.substr(0, max_line_bytes));
                    ++report.lines;
                    partial.clear();
                    skipping_ = true;
                    consumed = read_at;
                }
                break;
            }
            if (skipping_) {
                skipping_ = false;
            } else if (partial.empty()) {
                on_line(without_carriage_return(data.substr(at, newline - at)));
                ++report.lines;
            } else {
                partial.append(data.substr(at, newline - at));
                on_line(without_carriage_return(
                    std::string_view{partial}.substr(0, std::min(partial.size(), max_line_bytes))));
                ++report.lines;
                partial.clear();
            }
            at = newline + 1;
            consumed = data_start + at;
        }
    }
    // An unterminated last line waits for its newline, unless nobody will ever write it.
    if (at_end && final && !partial.empty()) {
        on_line(without_carriage_return(partial));
        ++report.lines;
        consumed = read_at;
    }
    offset_ = consumed;
    return at_end;
}

FollowReport LogFollower::read_new_lines(const ReadBudget &budget,
                                         const std::function<void(std::string_view)> &on_line) {
    FollowReport report;
    if (!started_) {
        if (open_path(report)) {
            const auto size = size_of(fd_.get());
            if (!size) {
                report.problem = "cannot stat " + path_ + ": " + describe_errno(errno);
                fd_.reset();
                return report;
            }
            offset_ = *size;
            started_ = report.started = true;
        } else if (report.problem.empty()) {
            // Missing at the start: once it is created, all of it is new.
            started_ = true;
            report.problem = path_ + " does not exist";
        }
        return report;
    }

    if (fd_.valid()) {
        const auto size = size_of(fd_.get());
        if (!size) {
            report.problem = "cannot stat " + path_ + ": " + describe_errno(errno);
            return report;
        }
        if (*size < offset_) {
            offset_ = 0;
            skipping_ = false;
            report.truncated = true;
        }
    }

    struct stat now {};
    const bool exists = ::stat(path_.c_str(), &now) == 0;
    const int stat_error = exists ? 0 : errno;
    const bool replaced = exists && (!fd_.valid() || now.st_dev != device_ || now.st_ino != inode_);

    if (fd_.valid()) {
        // The old file first, to its end: what was written before the rotation comes first.
        const bool finished = drain(budget, replaced, report, on_line);
        if (!report.problem.empty() || (replaced && !finished)) {
            const auto size = size_of(fd_.get());
            report.behind = size && *size > offset_ ? *size - offset_ : 0;
            return report;
        }
    }
    if (replaced) {
        const bool followed_before = fd_.valid();
        fd_.reset();
        offset_ = 0;
        skipping_ = false;
        if (!open_path(report)) return report; // gone again meanwhile: the next run looks anew
        (followed_before ? report.rotated : report.appeared) = true;
        drain(budget, false, report, on_line);
    } else if (!fd_.valid()) {
        report.problem = stat_error == ENOENT
                             ? path_ + " does not exist"
                             : "cannot stat " + path_ + ": " + describe_errno(stat_error);
        return report;
    }
    const auto size = size_of(fd_.get());
    report.behind = size && *size > offset_ ? *size - offset_ : 0;
    return report;
}

} // namespace vitals::plugins::log
