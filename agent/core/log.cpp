// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include "core/duration.hpp"
#include "core/log_limit.hpp"
#include "core/utc_time.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace vitals {
namespace {

using std::chrono::steady_clock;

std::atomic<LogLevel> threshold{LogLevel::info};
std::atomic<std::size_t> error_lines{0};

// One lock for deciding and writing, so that a summary goes out just before the line
// that found it due, and times in the log never go backwards.
std::mutex output_mutex;
// Never destroyed: a call left running on a thread of its own (a create() or init() that
// did not return in time) may still log while the process exits and runs destructors.
LogRateLimiter &limiter = *new LogRateLimiter;      // guarded by output_mutex
steady_clock::time_point (*test_clock)() = nullptr; // guarded by output_mutex

steady_clock::time_point now() {
    return test_clock ? test_clock() : steady_clock::now();
}

std::string_view level_name(LogLevel level) {
    switch (level) {
    case LogLevel::debug:
        return "debug";
    case LogLevel::info:
        return "info";
    case LogLevel::warning:
        return "warning";
    case LogLevel::error:
        return "error";
    }
    return "?";
}

// A log line is one line: a message with newlines (a plugin's, say) would
// otherwise forge lines of its own.
std::string single_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

void write_line(LogLevel level, std::string_view component, std::string_view message) {
    const std::string line =
        fmt::format("{} {} [{}] {}\n", format_utc(std::chrono::system_clock::now()),
                    level_name(level), component, single_line(message));
    std::fputs(line.c_str(), stderr);
}

void write_summary(const Suppression &suppression, steady_clock::time_point at) {
    using namespace std::chrono;
    const auto began =
        system_clock::now() - duration_cast<system_clock::duration>(at - suppression.since);
    write_line(suppression.level, suppression.component,
               fmt::format("{} similar line{} suppressed in the {} from {}, like: {}",
                           suppression.count, suppression.count == 1 ? "" : "s",
                           format_duration(std::max<nanoseconds>(
                               ceil<milliseconds>(suppression.span), milliseconds{1})),
                           format_utc(began), suppression.sample));
}

// Whether a format has words of its own, outside its replacement fields: "{}: {}" has
// none, and would make every line of its call sites one key.
bool has_words(std::string_view format) {
    bool in_field = false;
    for (std::size_t i = 0; i < format.size(); ++i) {
        const unsigned char c = format[i];
        if (in_field) {
            in_field = c != '}';
        } else if (c == '{') {
            if (i + 1 < format.size() && format[i + 1] == '{')
                ++i;
            else
                in_field = true;
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            return true;
        } else if (c >= 0x80) {
            return true;
        }
    }
    return false;
}

void log_keyed(LogLevel level, std::string_view component, std::string_view key,
               std::string_view message) {
    if (level == LogLevel::error) ++error_lines;
    std::vector<Suppression> due;
    const std::lock_guard lock{output_mutex};
    const auto at = now();
    const bool written = limiter.admit(level, component, key, message, at, due);
    for (const auto &suppression : due)
        write_summary(suppression, at);
    if (written) write_line(level, component, message);
    if (written || !due.empty()) std::fflush(stderr);
}

} // namespace

std::optional<LogLevel> log_level_from_string(std::string_view name) {
    for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error})
        if (level_name(level) == name) return level;
    return std::nullopt;
}

void set_log_level(LogLevel level) {
    threshold = level;
}

bool log_enabled(LogLevel level) {
    return level >= threshold.load();
}

void set_log_limits(const LogLimits &limits) {
    const std::lock_guard lock{output_mutex};
    limiter = LogRateLimiter{limits};
}

void set_log_clock(steady_clock::time_point (*clock)()) {
    const std::lock_guard lock{output_mutex};
    test_clock = clock;
}

void log_suppressed_summaries() {
    const std::lock_guard lock{output_mutex};
    const auto at = now();
    const auto taken = limiter.take_suppressions(at);
    for (const auto &suppression : taken)
        write_summary(suppression, at);
    if (!taken.empty()) std::fflush(stderr);
}

void log_line(LogLevel level, std::string_view component, std::string_view message) {
    log_keyed(level, component, message, message);
}

void detail::log_formatted(LogLevel level, std::string_view component, std::string_view format,
                           std::string_view message) {
    log_keyed(level, component, has_words(format) ? format : message, message);
}

std::size_t errors_logged() {
    return error_lines.load();
}

} // namespace vitals
