// Following a log file as `tail -F` does: the lines appended since the last call, across
// rotation and truncation, with a bound on what one call reads. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vitals::plugins::log {

/// How much one call may read, and until when.
struct ReadBudget {
    std::uint64_t max_bytes;
    Clock::time_point deadline;
};

/// What one call found, beside the lines it handed on.
struct FollowReport {
    bool started = false;     ///< the first call: positioned at the end, nothing read
    bool rotated = false;     ///< the path names another file now; the old one was read to its end
    bool truncated = false;   ///< the file shrank below the position (copytruncate): read from 0
    bool appeared = false;    ///< the file was missing before and is there now: read from 0
    std::uint64_t bytes = 0;  ///< bytes read
    std::uint64_t lines = 0;  ///< complete lines handed on
    std::uint64_t behind = 0; ///< bytes left for the next call by the budget
    std::string problem;      ///< why nothing could be read: "cannot open ...: permission denied"
};

/// The longest line handed on whole; the rest of a longer one is skipped.
inline constexpr std::size_t max_line_bytes = 64 * 1024;

/// One log file, followed by path. Not thread-safe: a check's runs never overlap.
class LogFollower {
public:
    explicit LogFollower(std::string path) : path_(std::move(path)) {}

    /// Hands every complete line appended since the last call to `on_line` (without its
    /// newline), oldest first. The first call only finds the end of the file: what was there
    /// before the check started is old news.
    FollowReport read_new_lines(const ReadBudget &budget,
                                const std::function<void(std::string_view)> &on_line);

private:
    /// Reads the open file from `offset_` to its end or the budget; true when it got to the
    /// end. `final` hands on an unterminated last line too, since nobody will finish it (the
    /// file was rotated away).
    bool drain(const ReadBudget &budget, bool final, FollowReport &report,
               const std::function<void(std::string_view)> &on_line);
    /// Opens the path and remembers which file it is; false with `report.problem` when it
    /// exists but cannot be opened, false alone when it does not exist.
    bool open_path(FollowReport &report);

    std::string path_;
    UniqueFd fd_;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    std::uint64_t offset_ = 0; ///< the first byte not yet handed on
    bool started_ = false;
    bool skipping_ = false; ///< inside a line longer than max_line_bytes, up to its newline
};

} // namespace vitals::plugins::log
