// One-line structured log to stderr. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace vitals {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

std::optional<LogLevel> log_level_from_string(std::string_view name);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

/// How much of a flood of repeated lines is written. Lines are repeats when they share a
/// key: level, component and, for log(), the format string, so that a call site whose
/// arguments vary is still one key; for log_line(), or a format of placeholders only
/// ("{}: {}" says nothing of the event), the message. Past `burst` lines of one key in one
/// `window` (which begins at the key's first line) the rest are only counted, and once the
/// window has ended one summary line gives their count, just before the next line of any
/// key. At most `max_keys` keys are kept: a new one evicts the least recently used,
/// writing its summary first.
struct LogLimits {
    std::size_t burst = 10; ///< 0: every line is written
    std::chrono::nanoseconds window = std::chrono::seconds{10};
    std::size_t max_keys = 256;
};

/// Replaces the limits and forgets what was counted (without writing its summaries).
void set_log_limits(const LogLimits &limits);

/// For tests: where the limits' windows take the time from; nullptr for steady_clock.
void set_log_clock(std::chrono::steady_clock::time_point (*clock)());

/// Writes the summaries of all lines suppressed so far, their windows ended or not: at
/// shutdown, so that a flood just before it is still accounted for.
void log_suppressed_summaries();

/// Writes "<time> <level> [<component>] <message>" as one line, atomically, unless it is
/// one repeat too many (see LogLimits).
void log_line(LogLevel level, std::string_view component, std::string_view message);

/// How many error lines have been logged so far, suppressed repeats included: a dry run
/// that printed an error must not then call the configuration good.
std::size_t errors_logged();

namespace detail {
/// log()'s line, whose repeats are counted by `format`: see LogLimits.
void log_formatted(LogLevel level, std::string_view component, std::string_view format,
                   std::string_view message);
} // namespace detail

template <class... Args>
void log(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
         Args &&...args) {
    if (!log_enabled(level)) return;
    const fmt::string_view text = format;
    detail::log_formatted(level, component, {text.data(), text.size()},
                          fmt::format(format, std::forward<Args>(args)...));
}

} // namespace vitals
